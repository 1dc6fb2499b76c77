package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// eachStore runs test on the embedded SQLite store and, with
// TEST_DATABASE_URL set (.ci/run sets it), on PostgreSQL, in a schema of
// its own that is dropped after: the two stores must behave the same.
func eachStore(t *testing.T, test func(t *testing.T, s *Store)) {
	t.Run("sqlite", func(t *testing.T) {
		s, _ := open(t)
		test(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		test(t, openPG(t))
	})
}

// openPG opens a PostgreSQL store in a fresh schema of TEST_DATABASE_URL's
// database; it skips, saying why, without one.
func openPG(t *testing.T) *Store {
	t.Helper()
	s, err := OpenPostgres(context.Background(), pgSchema(t), true)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// pgSchema creates a schema for t, dropped when t ends, and returns
// TEST_DATABASE_URL pointed at it.
func pgSchema(t *testing.T) string {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		t.Skip("TEST_DATABASE_URL is not set: the PostgreSQL store is not tested here (.ci/run sets it to the machine's server)")
	}
	ctx := context.Background()
	name := fmt.Sprintf("t_%s_%d", strings.ToLower(strings.NewReplacer("/", "_", "-", "_").Replace(t.Name())), rand.Uint32())
	if len(name) > 60 {
		name = name[len(name)-60:]
		name = "t" + name[1:]
	}
	c, err := pgx.Connect(ctx, base)
	require.NoError(t, err)
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize())
	require.NoError(t, err)
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{name}.Sanitize()+" CASCADE")
	})
	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}
