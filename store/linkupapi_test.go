package store

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The API that answered a send is kept with its outcome: a failure Linkup
// v2 answered cost no credit (v2 bills no error); v1's, or a failure no
// Linkup answered, says nothing of it.
func TestTheLinkupAPIOfAnOutcomeIsKept(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for _, c := range []struct {
			key    string
			o      Outcome
			isFree bool
		}{
			{"env:v2-refused", Outcome{State: Failed, LinkupStatus: 400, LinkupAPI: "v2", Reason: "refused"}, true},
			{"env:v2-ok-with-status-error", Outcome{State: Failed, LinkupStatus: 200, LinkupAPI: "v2", Reason: "success:false"}, true},
			{"env:v1-refused", Outcome{State: Failed, LinkupStatus: 200, LinkupAPI: "v1", Reason: "refused"}, false},
			{"env:v2-unreachable", Outcome{State: Failed, LinkupAPI: "v2", Reason: "not reached"}, false},
			{"env:v2-unknown", Outcome{State: Unknown, LinkupStatus: 500, LinkupAPI: "v2", Reason: "?"}, false},
			{"env:v2-sent", Outcome{State: Sent, LinkupStatus: 200, LinkupAPI: "v2", Credits: 1}, false},
			{"env:not-called", Outcome{State: Failed, Reason: "expired"}, false},
		} {
			sd, err := s.Accept(ctx, sample(c.key), 0)
			require.NoError(t, err)
			claimed, ok, err := s.Claim(ctx, 0)
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, sd.ID, claimed.ID)
			require.NoError(t, s.Finish(ctx, sd.ID, c.o))
			got, err := s.Get(ctx, sd.ID)
			require.NoError(t, err)
			assert.Equal(t, c.o.LinkupAPI, got.LinkupAPI, c.key)
			assert.Equal(t, c.isFree, got.FreeFailure(), c.key)
		}
	})
}
