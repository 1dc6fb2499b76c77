package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"linkedin-bot/store"
)

// window is --since: a Go duration or a number of days ("7d"); 0 is all.
type window struct{ d time.Duration }

func (w *window) String() string { return w.d.String() }

func (w *window) Set(v string) error {
	v = strings.TrimSpace(v)
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(v, "d"); ok {
		var n float64
		n, err = strconv.ParseFloat(days, 64)
		d = time.Duration(n * float64(24*time.Hour))
	} else {
		d, err = time.ParseDuration(v)
	}
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 24h, 90m or 7d", v)
	}
	if d < 0 {
		return fmt.Errorf("%q is negative", v)
	}
	w.d = d
	return nil
}

// states are the states --state takes: the log's, and dry_run, a send made
// with LINKUP_DRY_RUN (its state in the log is sent; history tells them apart).
var states = []string{string(store.Queued), string(store.Sending), string(store.Sent), dryRun, string(store.Failed), string(store.Unknown)}

// dryRun is the state history gives a dry-run send.
const dryRun = "dry_run"

// history prints the send log, filtered by flags, with credits per day and
// per user. It only reads: the log is opened read-only, never created or
// upgraded.
func history(ctx context.Context, args []string, where store.Where, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("history", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if wantsHelp(args) {
		fs.SetOutput(stdout) // asked for: the flag package prints it there, once
	}
	since := window{24 * time.Hour}
	fs.Var(&since, "since", "show sends created within this long: 24h, 90m, 7d (0 for all)")
	user := fs.String("user", "", "only sends requested by this Slack user ID")
	state := fs.String("state", "", "only sends in this state: "+strings.Join(states, ", ")+" (sent: really sent; dry_run: with LINKUP_DRY_RUN)")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	invitations := fs.Bool("invitations", false, "print the invitations (connection requests) instead of the sends")
	campaignID := fs.Int64("campaign", 0, "print this campaign's rows and their states instead")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: linkedin-bot history [--since 24h|7d|0] [--user U…] [--state STATE] [--invitations | --campaign ID] [--json]\n\nPrints the send log in DATA_DIR, or DATABASE_URL (read-only; it works while the bot runs).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("history: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("history: unexpected argument %q (flags: --since, --user, --state, --invitations, --campaign, --json)", fs.Arg(0))
	}
	if *state != "" && !slices.Contains(states, *state) {
		return fmt.Errorf("history: unknown state %q: use one of %s", *state, strings.Join(states, ", "))
	}
	f := store.Filter{User: *user, State: store.State(*state)}
	if *state == dryRun {
		f.State = store.Sent
	}
	if since.d > 0 {
		f.Since = time.Now().Add(-since.d)
	}

	st, err := store.OpenAtReadOnly(ctx, where)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	defer st.Close()
	if *invitations && *campaignID != 0 {
		return fmt.Errorf("history: --invitations and --campaign print different lists: give one")
	}
	if *campaignID != 0 {
		return campaignHistory(ctx, st, *campaignID, *asJSON, stdout)
	}
	if *invitations {
		invs, err := st.ListInvitations(ctx, f.Since)
		if err != nil {
			return fmt.Errorf("history: %w", err)
		}
		if *asJSON {
			return printInvitationsJSON(stdout, invs)
		}
		printInvitations(stdout, invs)
		return nil
	}
	list := func(f store.Filter) ([]store.Send, error) {
		sends, err := st.List(ctx, f)
		if *state == "" || err != nil {
			return sends, err
		}
		kept := sends[:0]
		for _, s := range sends {
			if stateOf(s) == *state { // sent and dry_run apart
				kept = append(kept, s)
			}
		}
		return kept, nil
	}
	sends, err := list(f)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, sends)
	}
	if since.d > 0 {
		fmt.Fprintf(stdout, "Sends since %s UTC (the last %s; --since 0 for all):\n\n", f.Since.UTC().Format("2006-01-02 15:04"), humanWindow(since.d))
	} else {
		fmt.Fprintln(stdout, "All sends:")
		fmt.Fprintln(stdout)
	}
	if len(sends) == 0 && since.d > 0 {
		all, err := list(store.Filter{User: f.User, State: f.State})
		if err != nil {
			return err
		}
		if len(all) > 0 {
			fmt.Fprintf(stdout, "None in the last %s. The log holds %d older, the newest from %s UTC: use --since 30d, or --since 0 for all.\n",
				humanWindow(since.d), len(all), all[len(all)-1].CreatedAt.UTC().Format("2006-01-02 15:04"))
			return nil
		}
	}
	printTable(stdout, sends)
	reads, err := st.ReadCredits(ctx, f.Since)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Read credits per day (replies and checks of unknown sends): %s.\n", totals(reads))
	if invs, err := st.ListInvitations(ctx, f.Since); err == nil && len(invs) > 0 {
		n := 0
		for _, inv := range invs {
			n += inv.Credits
		}
		fmt.Fprintf(stdout, "Invitations: %d, costing %d credit%s (apart from the sends above: history --invitations lists them).\n", len(invs), n, map[bool]string{true: "", false: "s"}[n == 1])
	}
	return nil
}

// humanWindow writes a window for people: 24h, 7 days.
func humanWindow(d time.Duration) string {
	if d%(24*time.Hour) == 0 && d >= 48*time.Hour {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return strings.TrimSuffix(strings.TrimSuffix(d.String(), "0s"), "0m")
}

// entry is one send as history --json prints it: everything but the
// response_url, which lets whoever holds it post in the channel.
type entry struct {
	ID        int64      `json:"id"`
	RetryOf   int64      `json:"retry_of,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	Finished  *time.Time `json:"finished_at,omitempty"`
	User      string     `json:"user"`
	Account   string     `json:"account"`
	Channel   string     `json:"channel"`
	Recipient string     `json:"recipient"`
	Message   string     `json:"message"`
	Country   string     `json:"country"`
	Media     string     `json:"media,omitempty"`
	State     string     `json:"state"`
	Attempts  int        `json:"attempts"`
	Credits   int        `json:"credits"`
	// CreditsNote says why a failed send cost nothing: Linkup v2 bills no error.
	CreditsNote string `json:"credits_note,omitempty"`
	// LinkupAPI is the Linkup API that answered ("v1", "v2"), when one did.
	LinkupAPI string `json:"linkup_api,omitempty"`
	Linkup    string `json:"linkup_answer,omitempty"`
	Status    int    `json:"linkup_status,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

func printJSON(w io.Writer, sends []store.Send) error {
	out := make([]entry, 0, len(sends))
	for _, s := range sends {
		e := entry{ID: s.ID, RetryOf: s.RetryOf, CreatedAt: s.CreatedAt, User: s.Requester, Account: s.Account, Channel: s.Channel,
			Recipient: s.Recipient, Message: s.Message, Country: s.Country, Media: media(s), State: stateOf(s),
			Attempts: s.Attempts, Credits: s.Credits, Linkup: s.LinkupAnswer, Status: s.LinkupStatus, Reason: s.Reason}
		if !s.FinishedAt.IsZero() {
			e.Finished = &s.FinishedAt
		}
		e.LinkupAPI = s.LinkupAPI
		if s.FreeFailure() {
			e.CreditsNote = freeFailureNote
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
	fmt.Fprintln(tw, "ID\tCREATED (UTC)\tUSER\tACCOUNT\tSTATE\tCREDITS\tATTEMPTS\tRECIPIENT\tREASON")
	perDay := map[string]int{}
	perUser := map[string]int{}
	perAccount := map[string]int{}
	free := 0
	for _, s := range sends {
		reason := s.Reason
		if r := []rune(reason); len(r) > 60 {
			reason = string(r[:60]) + "…"
		}
		credits := strconv.Itoa(s.Credits)
		if s.FreeFailure() {
			credits, free = "0 (v2: errors are free)", free+1
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", s.ID, s.CreatedAt.Format("2006-01-02 15:04:05"), s.Requester, s.Account, stateOf(s), credits, s.Attempts, s.Recipient, reason)
		perDay[s.CreatedAt.Format("2006-01-02")] += s.Credits
		perUser[s.Requester] += s.Credits
		perAccount[s.Account] += s.Credits
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "\n%d sends. Send credits per day: %s. Send credits per user: %s. Send credits per account: %s.\n", len(sends), totals(perDay), totals(perUser), totals(perAccount))
	if free > 0 {
		fmt.Fprintf(w, "%d failed %s refused by Linkup v2: %s.\n", free, map[bool]string{true: "send was", false: "sends were"}[free == 1], freeFailureNote)
	}
}

// freeFailureNote is what history says a send refused by Linkup v2 cost.
const freeFailureNote = "no credit spent (Linkup v2 does not bill errors)"

// stateOf is a send's state as history shows it: a dry run's is dry_run.
func stateOf(s store.Send) string {
	if s.DryRun && s.State == store.Sent {
		return "dry_run"
	}
	return string(s.State)
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
