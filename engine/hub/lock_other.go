//go:build !unix

package hub

import "context"

// lockRepo is a no-op where flock(2) is not available.
func lockRepo(ctx context.Context, dir string) (func(), error) { return func() {}, nil }
