// Package auth authenticates Socket.IO clients during their handshake,
// before they connect, with JSON Web Tokens built in and any other scheme
// pluggable.
//
// # One line
//
// A client connects with io(url, { auth: { token } }); the server accepts
// tokens signed with HS256 by its secret:
//
//	io.Use(auth.Middleware(auth.HS256(secret), nil))
//
// and reads who the socket is in its handlers:
//
//	io.OnConnection(func(s *socket.Socket) {
//		user, _ := auth.Claims[auth.UserClaims](s) // user.Subject, user.Email, user.Role
//		s.Join("user:" + auth.UserID(s))
//	})
//
// A client without a valid token never connects: socket.io-client emits
// connect_error with err.message "missing token", "invalid token" or
// "expired token" and err.data.code "missing_token", "invalid_token" or
// "expired_token" (see Middleware and Options.Messages). Why a token was
// invalid is logged at debug level, never told to the client.
//
// # Other schemes and namespaces
//
// Middleware accepts any Authenticator: a function of the handshake
// (AuthenticatorFunc) that returns an Identity, for API keys, sessions or
// mTLS. Each namespace has its own middleware, so each can have its own
// authenticator:
//
//	io.Use(auth.Middleware(users, nil))
//	io.Of("/admin").Use(auth.Middleware(admins, nil))
//
// # JWT
//
// NewJWT verifies tokens with github.com/golang-jwt/jwt/v5 and decodes
// their claims into the application's own struct. The accepted algorithms
// are listed explicitly and checked against the kind of key, so neither
// "none" nor a token signed with an RSA public key used as an HMAC secret
// gets through. "exp" is required and, like "nbf", always checked, with a
// configurable leeway; "iss" and "aud" are checked when configured. Keys
// come from a Secret, a PublicKey, a KeyFunc that looks them up by "kid",
// or a JWKS fetched from the issuer's URL, cached and refreshed as keys
// rotate.
//
// # Where the token comes from
//
// By default from the handshake's auth payload (FromAuth("token")), which
// socket.io-client sends on every transport. FromBearer reads the
// Authorization header and FromCookie a cookie, for clients that cannot set
// auth; FirstOf combines sources. FromQuery reads the query string, and is
// never used unless asked for: URLs end up in access logs, proxies, browser
// history and Referer headers, and long-polling repeats them on every
// request.
//
// # Expiry
//
// A token is checked once, at the handshake. With
// Options.DisconnectOnExpiry the socket is disconnected when the token
// expires, after an "auth:expired" event that tells the client why.
//
// # Issuing tokens
//
// Signer signs tokens for tests and examples; it is not used to verify.
package auth
