package storage

import "context"

type replicaApplierKey struct{}

// WithReplicaApplier marks ctx as the replication applier's. read_only and
// super_read_only do not apply to it, as to MySQL's replication threads.
func WithReplicaApplier(ctx context.Context) context.Context {
	return context.WithValue(ctx, replicaApplierKey{}, true)
}

// IsReplicaApplier reports whether ctx is marked by WithReplicaApplier.
func IsReplicaApplier(ctx context.Context) bool {
	v, _ := ctx.Value(replicaApplierKey{}).(bool)
	return v
}
