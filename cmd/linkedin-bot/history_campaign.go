package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"linkedin-bot/campaign"
	"linkedin-bot/store"
)

// campaignHistory prints campaign id and its rows (history --campaign ID).
func campaignHistory(ctx context.Context, st *store.Store, id int64, asJSON bool, stdout io.Writer) error {
	c, err := st.GetCampaign(ctx, id)
	if errors.Is(err, store.ErrNoCampaign) {
		return fmt.Errorf("history: no campaign %d in the log", id)
	}
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	rows, err := st.CampaignRows(ctx, id)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"campaign": c, "rows": rows})
	}
	fmt.Fprintf(stdout, "Campaign %d %q by %s from %s: %s, %s\n\n", c.ID, c.Name, c.Owner, c.Account, c.State,
		campaign.Line(campaign.Count(rows), time.Time{}, time.Time{}, time.UTC))
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ROW\tPROFILE\tSTATE\tSEND\tSENT AT (UTC)\tREASON")
	for _, r := range rows {
		send, at := "", ""
		if r.SendID != 0 {
			send = strconv.FormatInt(r.SendID, 10)
		}
		if !r.SentAt.IsZero() {
			at = r.SentAt.UTC().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", r.No, r.ProfileURL, r.State, send, at, r.Reason)
	}
	return w.Flush()
}
