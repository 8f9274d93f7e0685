package redisadapter

import (
	"context"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// countSubscribers returns the number of connections subscribed to
// channel (PUBSUB NUMSUB, or SHARDNUMSUB when sharded): the number of
// nodes, as each subscribes once per namespace. On a Redis Cluster every
// node counts only its own subscribers, so the counts of every node are
// added, as Node's adapter does.
func countSubscribers(ctx context.Context, client redis.UniversalClient, sharded bool, channel string) (int, error) {
	count := func(ctx context.Context, c redis.Cmdable) (int64, error) {
		var cmd *redis.MapStringIntCmd
		if sharded {
			cmd = c.PubSubShardNumSub(ctx, channel)
		} else {
			cmd = c.PubSubNumSub(ctx, channel)
		}
		m, err := cmd.Result()
		return m[channel], err
	}
	cluster, ok := client.(*redis.ClusterClient)
	if !ok {
		n, err := count(ctx, client)
		return int(n), err
	}
	var total atomic.Int64
	err := cluster.ForEachShard(ctx, func(ctx context.Context, node *redis.Client) error {
		n, err := count(ctx, node)
		total.Add(n)
		return err
	})
	return int(total.Load()), err
}
