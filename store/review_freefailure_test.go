package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A send whose outcome was unknown (Linkup v2 answered a 5xx, or a 200 the
// bot could not read) and that reading the conversation then settled as
// not delivered failed, but not on an error answer of Linkup's: whether
// the call was billed is not known, and "no credit spent (Linkup v2 does
// not bill errors)" would claim what nobody knows. Only a failure v2
// answered as such is a free one.
func TestASettledUnknownSendIsNoFreeFailure(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for _, status := range []int{500, 200} {
			sd, err := s.Accept(ctx, sample(fmt.Sprintf("env:settled-%d", status)), 0)
			require.NoError(t, err)
			claimed, ok, err := s.Claim(ctx, 0)
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, sd.ID, claimed.ID)
			require.NoError(t, s.Finish(ctx, sd.ID, Outcome{State: Unknown, LinkupStatus: status, LinkupAPI: "v2", Reason: "no confirmation"}))
			settled, err := s.Settle(ctx, sd.ID, VerdictNotDelivered, Outcome{State: Failed, Reason: "not in the conversation"})
			require.NoError(t, err)
			require.True(t, settled)
			got, err := s.Get(ctx, sd.ID)
			require.NoError(t, err)
			require.Equal(t, Failed, got.State)
			assert.False(t, got.FreeFailure(), "a send settled from unknown (Linkup answered %d) is not known to have cost nothing", status)
		}
	})
}
