package campaign

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"linkedin-bot/slackpost"
	"linkedin-bot/store"
)

// sectionMax keeps a section under Slack's 3,000 characters.
const sectionMax = 2900

// Progress counts a campaign's rows by state.
type Progress struct {
	Total, Sent, Failed, Unknown, Skipped, Cancelled, Pending, Claimed int
}

// Count counts rows.
func Count(rows []store.CampaignRow) Progress {
	var p Progress
	for _, r := range rows {
		switch r.State {
		case store.RowSent:
			p.Sent++
		case store.RowFailed:
			p.Failed++
		case store.RowUnknown:
			p.Unknown++
		case store.RowSkipped:
			p.Skipped++
		case store.RowCancelled:
			p.Cancelled++
		case store.RowPending:
			p.Pending++
		case store.RowClaimed:
			p.Claimed++
		}
	}
	p.Total = len(rows) - p.Skipped
	return p
}

// Line is the campaign's progress in one line: "12 of 40 sent · 1 failed ·
// 2 skipped · next at 14:05 (Europe/Paris)" (the day too when next is not
// on now's day in loc).
func Line(p Progress, next, now time.Time, loc *time.Location) string {
	parts := []string{fmt.Sprintf("%d of %d sent", p.Sent, p.Total)}
	if p.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", p.Failed))
	}
	if p.Unknown > 0 {
		parts = append(parts, fmt.Sprintf("%d unknown", p.Unknown))
	}
	if p.Skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped", p.Skipped))
	}
	if p.Cancelled > 0 {
		parts = append(parts, fmt.Sprintf("%d cancelled", p.Cancelled))
	}
	if !next.IsZero() && p.Pending > 0 {
		parts = append(parts, "next at "+when(next, now, loc))
	}
	return strings.Join(parts, " · ")
}

// when is t in loc, with its day when it is not now's day there.
func when(t, now time.Time, loc *time.Location) string {
	lt := t.In(loc)
	f := "15:04"
	if y, m, d := lt.Date(); y != now.In(loc).Year() || m != now.In(loc).Month() || d != now.In(loc).Day() {
		f = "Mon 2 Jan 15:04"
	}
	return lt.Format(f) + " (" + loc.String() + ")"
}

// skippedSummary names up to n skipped rows with their reasons.
func skippedSummary(rows []Row, n int) string {
	var out []string
	for _, r := range rows {
		if r.Skip != "" && len(out) < n {
			out = append(out, fmt.Sprintf("row %d (%s)", r.No, r.Skip))
		}
	}
	return strings.Join(out, "; ")
}

// render is campaign c's root: what it is, where it is, and its buttons.
func (s *Service) render(ctx context.Context, c store.Campaign, rows []store.CampaignRow, next time.Time) (string, []slack.Block) {
	loc := location(c)
	p := Count(rows)
	head := fmt.Sprintf("*Campaign “%s”* by <@%s>, from the LinkedIn account *%s*", slackpost.Escape(c.Name), c.Owner, slackpost.Escape(c.Account))
	var status string
	switch c.State {
	case store.CampaignReview:
		status = fmt.Sprintf(":clipboard: In review: %d recipients, %d skipped. Nothing is sent before *Start*.", p.Total, p.Skipped)
	case store.CampaignRunning:
		status = ":arrow_forward: " + Line(p, next, s.cfg.Now(), loc)
	case store.CampaignPaused:
		status = ":double_vertical_bar: Paused: " + Line(p, time.Time{}, time.Time{}, loc)
	case store.CampaignCancelled:
		status = ":no_entry_sign: Cancelled: " + Line(p, time.Time{}, time.Time{}, loc) + ". Nothing more is sent; what was sent stays sent. The report is in the thread."
	case store.CampaignDone:
		status = ":white_check_mark: Done: " + Line(p, time.Time{}, time.Time{}, loc) + ". The report is in the thread."
	}
	text := head + "\n" + status
	blocks := []slack.Block{slackpost.Section(cut(text))}
	if c.State == store.CampaignReview {
		var detail strings.Builder
		var skipped []string
		shown := 0
		for _, r := range rows {
			if r.State == store.RowSkipped {
				skipped = append(skipped, fmt.Sprintf("• row %d (%s): %s", r.No, slackpost.Escape(r.ProfileURL), slackpost.Escape(r.Reason)))
			}
		}
		if len(skipped) > 0 {
			if len(skipped) > 10 {
				skipped = append(skipped[:10], fmt.Sprintf("… and %d more", len(skipped)-10))
			}
			detail.WriteString("*Skipped rows:*\n" + strings.Join(skipped, "\n") + "\n")
		}
		blocks = append(blocks, slackpost.Section(cut(orNone(detail.String()))))
		for _, r := range rows {
			if r.State != store.RowPending || shown == 3 {
				continue
			}
			shown++
			msg, _ := slackpost.Cut(r.Message, 600)
			blocks = append(blocks, slackpost.Section(cut(fmt.Sprintf("*To %s:*\n%s", slackpost.Escape(r.ProfileURL), slackpost.Quote(msg)))))
		}
		sent, _ := s.st.SentToday(ctx, c.Account)
		finish := s.cfg.Pace.Finish(s.cfg.Pace.Next(s.cfg.Now(), time.Time{}, loc, sent), p.Total, loc, sent)
		blocks = append(blocks, slackpost.Section(cut(fmt.Sprintf("*Credits:* about %d (%d per message). *Estimated finish:* %s, at one message every %s to %s.",
			p.Total*s.cfg.Credits, s.cfg.Credits, when(finish, s.cfg.Now(), loc), s.cfg.Pace.GapMin, s.cfg.Pace.GapMax))))
	}
	id := strconv.FormatInt(c.ID, 10)
	var buttons []slack.BlockElement
	button := func(action, label string, style slack.Style) {
		b := slack.NewButtonBlockElement(action, id, slack.NewTextBlockObject(slack.PlainTextType, label, false, false))
		b.Style = style
		buttons = append(buttons, b)
	}
	switch c.State {
	case store.CampaignReview:
		button(StartActionID, "Start", slack.StylePrimary)
		button(CancelActionID, "Cancel", slack.StyleDanger)
	case store.CampaignRunning:
		button(PauseActionID, "Pause", "")
		button(CancelActionID, "Cancel", slack.StyleDanger)
	case store.CampaignPaused:
		button(ResumeActionID, "Resume", slack.StylePrimary)
		button(CancelActionID, "Cancel", slack.StyleDanger)
	}
	if len(buttons) > 0 {
		blocks = append(blocks, slack.NewActionBlock("campaign_"+id, buttons...))
	}
	return text, blocks
}

func orNone(s string) string {
	if s == "" {
		return "No row is skipped."
	}
	return s
}

func cut(s string) string {
	out, _ := slackpost.Cut(s, sectionMax)
	return out
}

// Report is campaign rows as CSV: row, profile URL, state, reason, sent
// at (UTC, RFC 3339), replied.
func Report(rows []store.CampaignRow, replied map[string]bool) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"row", "profile_url", "state", "reason", "sent_at", "replied"})
	for _, r := range rows {
		at := ""
		if !r.SentAt.IsZero() {
			at = r.SentAt.UTC().Format(time.RFC3339)
		}
		rep := "no"
		if replied[r.ProfileURL] {
			rep = "yes"
		}
		_ = w.Write([]string{strconv.Itoa(r.No), r.ProfileURL, string(r.State), r.Reason, at, rep})
	}
	w.Flush()
	return b.Bytes()
}

// report uploads campaign c's report to its thread, once: its try is
// recorded before it is made, and after two tries (each may have
// reached Slack) it is given up, logged. Its rows are read now: the
// campaign is over, and a Cancel that landed during the cycle that
// found it so has changed them since the cycle read them.
func (s *Service) report(ctx context.Context, c store.Campaign) {
	log := s.log.With().Int64("campaign", c.ID).Logger()
	rows, err := s.st.CampaignRows(ctx, c.ID)
	if err != nil {
		log.Error().Err(err).Msg("reading the campaign's rows for its report failed; it is tried again")
		return
	}
	tries, err := s.st.IntendReport(ctx, c.ID)
	if err != nil {
		log.Error().Err(err).Msg("recording the report's upload failed; it is tried again")
		return
	}
	if tries > 2 {
		log.Error().Msg("the campaign's report may already be in its thread and was tried twice; it is not uploaded again")
		_ = s.st.ReportDone(ctx, c.ID)
		return
	}
	replied, err := s.st.Replied(ctx, c.RootChannel, c.RootTS)
	if err != nil {
		log.Warn().Err(err).Msg("reading the replies failed; the report says no reply")
	}
	body := Report(rows, replied)
	name := fmt.Sprintf("campaign-%d-report.csv", c.ID)
	_, err = s.slack.UploadFileContext(ctx, slack.UploadFileParameters{
		Filename: name, Title: "Campaign “" + c.Name + "”: report", Content: string(body), FileSize: len(body),
		Channel: c.RootChannel, ThreadTimestamp: c.RootTS,
		InitialComment: fmt.Sprintf("Report of campaign “%s”: one line per row (row, profile URL, state, reason, sent at, replied).", slackpost.Escape(c.Name)),
	})
	if err != nil {
		log.Error().Err(err).Msg("uploading the campaign's report failed; it is tried again")
		return
	}
	if err := s.st.ReportDone(ctx, c.ID); err != nil {
		log.Error().Err(err).Msg("recording the report uploaded failed")
	}
	log.Info().Msg("campaign report uploaded")
}
