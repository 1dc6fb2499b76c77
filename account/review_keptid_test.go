package account

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/store"
)

// On v2 a send goes from the account ID kept for the account's token, not
// from the token: the kept copy (linkup_accounts, in clear) must be as
// hard to swap as the sealed token. Someone who can write the store puts
// Bob's account ID, or Bob's whole kept row, in Alice's: Alice's sends must
// still go from Alice's LinkedIn account (her token gets its ID again,
// free), never from Bob's.
func TestAKeptV2IDSwappedInTheStoreIsNotUsed(t *testing.T) {
	for _, whole := range []bool{false, true} {
		name := "the ID edited"
		if whole {
			name = "the whole row copied"
		}
		t.Run(name, func(t *testing.T) {
			eachStore(t, func(t *testing.T, st *store.Store) {
				ctx := context.Background()
				lk := &migrator{}
				svc, err := New(ctx, st, Config{Key: NewKey(), DefaultName: "team", Linkup: lk})
				require.NoError(t, err)
				require.NoError(t, svc.Connect(ctx, "alice", "FR", Credential{Token: "AQEDalice", AccountID: "69c1alice"}, []string{"U1"}, "test"))
				require.NoError(t, svc.Connect(ctx, "bob", "FR", Credential{Token: "AQEDbob", AccountID: "69c1bob"}, []string{"U2"}, "test"))

				kept, ok, err := st.LinkupAccount(ctx, "alice")
				require.NoError(t, err)
				require.True(t, ok)
				bob, ok, err := st.LinkupAccount(ctx, "bob")
				require.NoError(t, err)
				require.True(t, ok)
				kept.AccountID = bob.AccountID
				if whole {
					kept.TokenHash = bob.TokenHash
				}
				require.NoError(t, st.PutLinkupAccount(ctx, kept))

				s, err := svc.Session(ctx, "alice")
				require.NoError(t, err)
				assert.NotEqual(t, "69c1bob", s.AccountID, "Alice's sends would go from Bob's LinkedIn account")
				assert.Equal(t, "migrated-AQEDalice", s.AccountID, "her token gets its own ID again")
			})
		})
	}
}
