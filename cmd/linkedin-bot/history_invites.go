package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"linkedin-bot/store"
)

// invitationEntry is one invitation as history --invitations --json prints it.
type invitationEntry struct {
	ID        int64      `json:"id"`
	CreatedAt time.Time  `json:"created_at"`
	Finished  *time.Time `json:"finished_at,omitempty"`
	User      string     `json:"user"`
	Account   string     `json:"account"`
	Recipient string     `json:"recipient"`
	Note      string     `json:"note,omitempty"`
	State     string     `json:"state"`
	// Intent is what acceptance does with the message of the send it
	// follows: wanted, due, sending, sent, cancelled, dropped; empty: nothing.
	Intent   string `json:"intent,omitempty"`
	FromSend int64  `json:"from_send,omitempty"`
	SendID   int64  `json:"send_id,omitempty"`
	// Credits is what the invitation cost; CheckCredits what checking it
	// cost (v1's invitation-status, out of READ_CREDITS_PER_DAY).
	Credits      int    `json:"credits"`
	CheckCredits int    `json:"check_credits,omitempty"`
	Reason       string `json:"reason,omitempty"`
}

func printInvitationsJSON(w io.Writer, invs []store.Invitation) error {
	out := make([]invitationEntry, 0, len(invs))
	for _, inv := range invs {
		e := invitationEntry{ID: inv.ID, CreatedAt: inv.CreatedAt, User: inv.Requester, Account: inv.Account, Recipient: inv.Recipient,
			Note: inv.Note, State: inv.State, Intent: inv.Intent, FromSend: inv.FromSend, SendID: inv.SendID, Credits: inv.Credits,
			CheckCredits: inv.CheckCredits, Reason: inv.Reason}
		if !inv.FinishedAt.IsZero() {
			e.Finished = &inv.FinishedAt
		}
		out = append(out, e)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// printInvitations prints the invitations apart from the sends, with
// their credits: each costs 1 when Linkup sends it, and v1's daily checks
// 1 each, out of the read budget.
func printInvitations(w io.Writer, invs []store.Invitation) {
	if len(invs) == 0 {
		fmt.Fprintln(w, "No invitations.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED (UTC)\tUSER\tACCOUNT\tSTATE\tON ACCEPT\tCREDITS\tRECIPIENT\tREASON")
	perAccount := map[string]int{}
	checks := 0
	for _, inv := range invs {
		reason := inv.Reason
		if r := []rune(reason); len(r) > 60 {
			reason = string(r[:60]) + "…"
		}
		onAccept := inv.Intent
		if inv.SendID != 0 {
			onAccept += " (send " + strconv.FormatInt(inv.SendID, 10) + ")"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", inv.ID, inv.CreatedAt.UTC().Format("2006-01-02 15:04:05"), inv.Requester, inv.Account,
			inv.State, orDash(onAccept), inv.Credits, inv.Recipient, reason)
		perAccount[inv.Account] += inv.Credits
		checks += inv.CheckCredits
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "\n%d invitations. Invitation credits per account: %s. Credits spent checking them (v1, out of READ_CREDITS_PER_DAY): %d.\n",
		len(invs), totals(perAccount), checks)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
