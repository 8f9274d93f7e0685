package auth

import "github.com/golang-jwt/jwt/v5"

// UserClaims are the claims of a typical access token: the registered
// claims (the user id is "sub", read it with UserID or GetSubject) plus the
// user's email and role. Embed jwt.RegisteredClaims the same way in your own
// struct when you need other claims.
type UserClaims struct {
	jwt.RegisteredClaims
	Email string `json:"email,omitempty"`
	Role  string `json:"role,omitempty"`
}
