package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"linkedin-bot/store"
)

// history prints the send log, filtered by flags, with credits per day and per user.
func history(ctx context.Context, args []string, dataDir string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("history", flag.ContinueOnError)
	fs.SetOutput(stderr)
	since := fs.Duration("since", 24*time.Hour, "show sends created within this long (0 for all)")
	user := fs.String("user", "", "only sends requested by this Slack user ID")
	state := fs.String("state", "", "only sends in this state: queued, sending, sent, failed or unknown")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f := store.Filter{User: *user, State: store.State(*state)}
	switch f.State {
	case "", store.Queued, store.Sending, store.Sent, store.Failed, store.Unknown:
	default:
		return fmt.Errorf("history: unknown state %q", *state)
	}
	if *since > 0 {
		f.Since = time.Now().Add(-*since)
	}

	st, err := store.Open(ctx, dataDir)
	if err != nil {
		return fmt.Errorf("send log in %s: %w", dataDir, err)
	}
	defer st.Close()
	sends, err := st.List(ctx, f)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, sends)
	}
	printTable(stdout, sends)
	reads, err := st.ReadCredits(ctx, f.Since)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Read credits per day (replies and checks of unknown sends): %s.\n", totals(reads))
	return nil
}

// entry is one send as history --json prints it: everything but the
// response_url, which lets whoever holds it post in the channel.
type entry struct {
	ID        int64       `json:"id"`
	RetryOf   int64       `json:"retry_of,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
	Finished  *time.Time  `json:"finished_at,omitempty"`
	User      string      `json:"user"`
	Channel   string      `json:"channel"`
	Recipient string      `json:"recipient"`
	Message   string      `json:"message"`
	Country   string      `json:"country"`
	Media     string      `json:"media,omitempty"`
	State     store.State `json:"state"`
	Attempts  int         `json:"attempts"`
	Credits   int         `json:"credits"`
	Linkup    string      `json:"linkup_answer,omitempty"`
	Status    int         `json:"linkup_status,omitempty"`
	Reason    string      `json:"reason,omitempty"`
}

func printJSON(w io.Writer, sends []store.Send) error {
	out := make([]entry, 0, len(sends))
	for _, s := range sends {
		e := entry{ID: s.ID, RetryOf: s.RetryOf, CreatedAt: s.CreatedAt, User: s.Requester, Channel: s.Channel,
			Recipient: s.Recipient, Message: s.Message, Country: s.Country, Media: media(s), State: s.State,
			Attempts: s.Attempts, Credits: s.Credits, Linkup: s.LinkupAnswer, Status: s.LinkupStatus, Reason: s.Reason}
		if !s.FinishedAt.IsZero() {
			e.Finished = &s.FinishedAt
		}
		out = append(out, e)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func media(s store.Send) string {
	if s.MediaLink != "" {
		return s.MediaLink
	}
	if s.MediaName != "" {
		return fmt.Sprintf("%s (%s, %d bytes)", s.MediaName, s.MediaType, s.MediaSize)
	}
	return ""
}

func printTable(w io.Writer, sends []store.Send) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED (UTC)\tUSER\tSTATE\tCREDITS\tATTEMPTS\tRECIPIENT\tREASON")
	perDay := map[string]int{}
	perUser := map[string]int{}
	for _, s := range sends {
		reason := s.Reason
		if r := []rune(reason); len(r) > 60 {
			reason = string(r[:60]) + "…"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", s.ID, s.CreatedAt.Format("2006-01-02 15:04:05"), s.Requester, s.State, s.Credits, s.Attempts, s.Recipient, reason)
		perDay[s.CreatedAt.Format("2006-01-02")] += s.Credits
		perUser[s.Requester] += s.Credits
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "\n%d sends. Send credits per day: %s. Send credits per user: %s.\n", len(sends), totals(perDay), totals(perUser))
}

func totals(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
