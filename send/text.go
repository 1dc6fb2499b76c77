package send

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"linkedin-bot/slackpost"
	"linkedin-bot/store"
)

// RetryActionID is the action_id of the Retry button; its value is the send ID.
const RetryActionID = "retry_send"

// previewRunes and previewLines bound the quote of a message in Slack.
const (
	previewRunes = 280
	previewLines = 4
)

// rootText is the message announcing a send: who sends to whom, a preview,
// and its state.
func rootText(sd store.Send) string {
	if store.IsCampaignKey(sd.IdemKey) {
		// A campaign's row: one short line in the campaign's thread, edited
		// to its outcome (the review showed the messages).
		return fmt.Sprintf("To %s: %s", profileLink(sd.Recipient), status(sd))
	}
	var b strings.Builder
	verb := "is sending"
	switch {
	case sd.DryRun:
		verb = "is trying (dry run, nothing goes to LinkedIn)"
	case sd.State == store.Sent:
		verb = "sent"
	}
	fmt.Fprintf(&b, "<@%s> %s a LinkedIn message to %s", sd.Requester, verb, profileLink(sd.Recipient))
	if sd.Account != "" {
		fmt.Fprintf(&b, " from the *%s* account", MrkdwnEscape(sd.Account))
	}
	if sd.MediaLink != "" || sd.MediaName != "" {
		b.WriteString(" with an attachment")
	}
	b.WriteString("\n")
	b.WriteString(slackpost.Quote(preview(sd.Message)))
	b.WriteString("\n")
	b.WriteString(status(sd))
	return b.String()
}

// dryRunText is what every message of a dry run says.
const dryRunText = ":test_tube: Dry run: not sent (0 credits)"

func status(sd store.Send) string {
	switch {
	case sd.DryRun && sd.State == store.Sent:
		return dryRunText
	case sd.Verdict == store.VerdictConfirmed:
		return fmt.Sprintf(":white_check_mark: Sent, confirmed on LinkedIn (%s)", credits(sd.Credits))
	case sd.Verdict == store.VerdictNotDelivered:
		return ":x: Not delivered (checked on LinkedIn): see the thread"
	case sd.Verdict == store.VerdictUnsettled:
		return ":warning: Outcome unknown (could not be checked on LinkedIn): see the thread"
	}
	switch sd.State {
	case store.Sent:
		return fmt.Sprintf(":white_check_mark: Sent (%s)", credits(sd.Credits))
	case store.Unknown:
		return ":warning: Outcome unknown: see the thread"
	case store.Failed:
		return ":x: Not sent: see the thread"
	default:
		return ":hourglass_flowing_sand: Sending…"
	}
}

// retryText is the thread note that a retry has started.
func retryText(sd store.Send) string {
	return fmt.Sprintf(":repeat: <@%s> is sending this message again.", sd.Requester)
}

// outcomeText is the reply that tells the requester how the send ended.
func outcomeText(sd store.Send) string {
	switch sd.State {
	case store.Sent:
		if sd.DryRun {
			return dryRunText + ". Everything else ran: with LINKUP_DRY_RUN off, this message goes to Linkup."
		}
		return fmt.Sprintf(":white_check_mark: Sent on LinkedIn. %s spent.", capitalize(credits(sd.Credits)))
	case store.Unknown:
		return ":warning: " + sd.Reason
	default:
		if sd.FreeFailure() {
			return ":x: Not sent. " + sd.Reason + " " + FreeFailureText
		}
		return ":x: Not sent. " + sd.Reason
	}
}

// FreeFailureText is what a send that failed on Linkup v2's answer cost
// (v1 bills failed calls, and its outcome says nothing of credits).
const FreeFailureText = "No credit spent (Linkup v2 does not bill errors)."

// verdictText tells the thread what reading the conversation found about
// an unknown send.
func verdictText(sd store.Send) string {
	if sd.Verdict == store.VerdictConfirmed {
		return fmt.Sprintf(":white_check_mark: Sent (confirmed on LinkedIn): the message is in the conversation. %s spent.", capitalize(credits(sd.Credits)))
	}
	if sd.Verdict == store.VerdictUnsettled {
		return ":warning: Outcome still unknown: " + sd.Reason
	}
	return ":x: Not delivered (checked on LinkedIn): " + sd.Reason
}

// supersededText replaces an unknown outcome's reply once a verdict is in:
// its Retry button, which asked "may already have been delivered?", goes
// (an unsettled verdict carries its own).
func supersededText(sd store.Send) string {
	if sd.Verdict == store.VerdictUnsettled {
		return ":warning: Linkup gave no confirmation at first; the bot then tried to check the conversation on LinkedIn (see below)."
	}
	return ":warning: Linkup gave no confirmation at first; the bot then checked the conversation on LinkedIn (see below)."
}

// outcomeBlocks is text (the outcome's or the verdict's) with, for failed
// and unknown sends, a Retry button; retrying an unknown send asks for
// confirmation first.
func outcomeBlocks(sd store.Send, text string) []slack.Block {
	blocks := []slack.Block{section(text)}
	if sd.State != store.Failed && sd.State != store.Unknown {
		return blocks
	}
	elems := []slack.BlockElement{RetryButton(sd)}
	if RecipientRefused(sd) {
		elems = append(elems, InviteButton(sd))
	}
	return append(blocks, slack.NewActionBlock("retry", elems...))
}

// InviteActionID is the action_id of the Invite with a note button of a
// send Linkup refused for its recipient; its value is the send ID.
const InviteActionID = "invite_linkedin"

// The sentences a refusal about the recipient adds to its reason: the
// first when Linkup said "Invalid parameter", the second otherwise.
const (
	notConnectedText      = "This usually means the sending account is not connected to this person on LinkedIn."
	mayNotBeConnectedText = "The recipient may not be a connection of the sending account: LinkedIn lets it message only its 1st-degree connections."
)

// RecipientRefused reports whether sd failed because Linkup refused its
// recipient (v1: an HTTP 4xx or a "status":"error" about the recipient or
// its parameters; v2: INVALID_PARAMS), which an invitation may cure; not
// for account, credit, rate-limit or server errors.
func RecipientRefused(sd store.Send) bool {
	return sd.State == store.Failed && sd.Verdict == "" &&
		(strings.Contains(sd.Reason, notConnectedText) || strings.Contains(sd.Reason, mayNotBeConnectedText))
}

// InviteButton offers to invite the recipient of sd, a send refused for them.
func InviteButton(sd store.Send) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(InviteActionID, strconv.FormatInt(sd.ID, 10), slack.NewTextBlockObject(slack.PlainTextType, "Invite with a note", false, false))
}

// RetryButton is the Retry button of a failed or unknown send; retrying
// an unknown send asks for confirmation first.
func RetryButton(sd store.Send) *slack.ButtonBlockElement {
	btn := slack.NewButtonBlockElement(RetryActionID, strconv.FormatInt(sd.ID, 10), slack.NewTextBlockObject(slack.PlainTextType, "Retry", false, false))
	if sd.State == store.Unknown {
		btn.Confirm = slack.NewConfirmationBlockObject(
			slack.NewTextBlockObject(slack.PlainTextType, "Send it again?", false, false),
			slack.NewTextBlockObject(slack.MarkdownType, "This message *may already have been delivered*. Check the conversation on LinkedIn first: a LinkedIn message cannot be unsent.", false, false),
			slack.NewTextBlockObject(slack.PlainTextType, "Send again", false, false),
			slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false),
		)
	}
	return btn
}

func section(text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)
}

// notifyText is the team channel's line for one finished send.
func notifyText(sd store.Send, link string) string {
	var state string
	switch sd.State {
	case store.Sent:
		state = "sent, " + credits(sd.Credits)
		if sd.DryRun {
			state = "dry run: not sent (0 credits)"
		}
	case store.Unknown:
		state = "outcome unknown"
	default:
		state = "not sent"
	}
	switch sd.Verdict {
	case store.VerdictConfirmed:
		state = "sent (confirmed on LinkedIn), " + credits(sd.Credits)
	case store.VerdictNotDelivered:
		state = "not delivered (checked on LinkedIn)"
	case store.VerdictUnsettled:
		state = "outcome unknown (could not be checked on LinkedIn)"
	}
	line := fmt.Sprintf("<@%s> → %s: %s", sd.Requester, profileLink(sd.Recipient), state)
	if sd.RetryOf != 0 {
		line += " (retry)"
	}
	if link != "" {
		line += fmt.Sprintf(" · <%s|thread>", link)
	}
	return line
}

func credits(n int) string {
	if n == 1 {
		return "1 credit"
	}
	return fmt.Sprintf("%d credits", n)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// profileLink shows a normalised profile URL as a link labelled with its slug.
func profileLink(u string) string {
	slug := u[strings.LastIndexByte(u, '/')+1:]
	return fmt.Sprintf("<%s|%s>", u, MrkdwnEscape(slug))
}

// preview cuts text to a few lines and characters.
func preview(text string) string {
	lines := strings.Split(text, "\n")
	cut := len(lines) > previewLines
	if cut {
		lines = lines[:previewLines]
	}
	s := strings.Join(lines, "\n")
	if utf8.RuneCountInString(s) > previewRunes {
		s = string([]rune(s)[:previewRunes])
		cut = true
	}
	if cut {
		s += "…"
	}
	return s
}

// MrkdwnEscape makes user or Linkup text inert in Slack markup.
var MrkdwnEscape = slackpost.Escape

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
