package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"linkedin-bot/account"
	"linkedin-bot/invite"
	"linkedin-bot/linkup"
	"linkedin-bot/send"
	"linkedin-bot/store"
)

// The invitation form's callback and block IDs (each block's action_id is its block_id).
const (
	InviteCallbackID   = "linkedin_invite"
	BlockNote          = "note"
	BlockSendOnAccept  = "send_on_accept"
	sendOnAcceptOption = "send"
)

// Inviter sends invitations; *invite.Service is the production one.
type Inviter interface {
	Invite(ctx context.Context, req invite.Request) (store.Invitation, error)
	Cancel(ctx context.Context, id int64, user string) (string, error)
	Get(ctx context.Context, id int64) (store.Invitation, error)
	// FromSend is send id, the one an Invite with a note button names.
	FromSend(ctx context.Context, id int64) (store.Send, error)
	// Of lists user's invitations still waiting, newest first.
	Of(ctx context.Context, user string) ([]store.Invitation, error)
}

// inviteMeta travels in the invitation form's private_metadata.
type inviteMeta struct {
	Channel  string `json:"c,omitempty"`
	ThreadTS string `json:"t,omitempty"`
	Profile  string `json:"p,omitempty"`
	Send     int64  `json:"s,omitempty"`
}

// isInvite reports whether text is the invite subcommand.
func isInvite(text string) bool {
	f := strings.Fields(text)
	return len(f) > 0 && strings.EqualFold(f[0], "invite")
}

// inviteCommand answers `/linkedin-send invite <profile url> [note]`: it
// opens the invitation form with the note prefilled.
func (h *Handlers) inviteCommand(cmd slack.SlashCommand) Response {
	if h.cfg.Inviter == nil {
		return ephemeral(":no_entry: Invitations are off on this bot.")
	}
	rest := strings.TrimSpace(cmd.Text)
	rest = strings.TrimSpace(rest[len("invite"):])
	profile, note, _ := strings.Cut(rest, " ")
	if profile == "" {
		return ephemeral(":warning: Name whom to invite: `" + cmdName(cmd.Command) + " invite <linkedin profile url> [note]`.")
	}
	url, err := linkup.ProfileURL(profile)
	if err != nil {
		return ephemeral(":warning: " + err.Error())
	}
	note = strings.TrimSpace(note)
	if n := utf8.RuneCountInString(note); n > linkup.MaxNoteRunes {
		return ephemeral(fmt.Sprintf(":warning: The note has %d characters; LinkedIn takes at most %d. Nobody was invited.", n, linkup.MaxNoteRunes))
	}
	meta := inviteMeta{Channel: cmd.ChannelID, Profile: url}
	return Response{After: func(ctx context.Context, log zerolog.Logger) {
		choices, why := h.accounts(ctx, cmd.UserID)
		if why != "" {
			h.reply(ctx, log, cmd.ResponseURL, cmd.UserID, why)
			return
		}
		h.openView(ctx, log, cmd.TriggerID, inviteForm(meta, note, false, choices), cmd.ResponseURL, cmd.UserID)
	}}
}

// inviteButton opens the invitation form for a send Linkup refused for
// its recipient, the note prefilled from its message, and its message
// offered on acceptance. Only someone who may use the send's account may.
func (h *Handlers) inviteButton(ctx context.Context, cb slack.InteractionCallback) Response {
	if h.cfg.Inviter == nil {
		return h.tellLater(cb.ResponseURL, cb.User.ID, ":no_entry: Invitations are off on this bot.")
	}
	id, err := strconv.ParseInt(cb.ActionCallback.BlockActions[0].Value, 10, 64)
	if err != nil {
		return h.tellLater(cb.ResponseURL, cb.User.ID, ":warning: This Invite button is broken; nobody was invited.")
	}
	return Response{After: func(ctx context.Context, log zerolog.Logger) {
		sd, err := h.cfg.Inviter.FromSend(ctx, id)
		if err != nil {
			h.reply(ctx, log, cb.ResponseURL, cb.User.ID, ":warning: The bot has no record of that message; nobody was invited.")
			return
		}
		if !send.RecipientRefused(sd) {
			log.Warn().Int64("send_id", id).Str("state", string(sd.State)).Msg("invite asked from a send not refused for its recipient; the form did not open")
			h.reply(ctx, log, cb.ResponseURL, cb.User.ID, ":warning: "+invite.ErrNotRefused.Error()+"; nobody was invited.")
			return
		}
		if h.cfg.Accounts != nil {
			if err := h.cfg.Accounts.MayUse(ctx, cb.User.ID, sd.Account); err != nil {
				log.Warn().Err(err).Str("account", sd.Account).Int64("send_id", id).Msg("invite refused for its account; the form did not open")
				h.reply(ctx, log, cb.ResponseURL, cb.User.ID, inviteNotYours(sd.Account, err, h))
				return
			}
		}
		meta := inviteMeta{Send: sd.ID, Profile: sd.Recipient}
		h.openView(ctx, log, cb.TriggerID, inviteForm(meta, invite.NoteFrom(sd.Message), true, nil), cb.ResponseURL, cb.User.ID)
	}}
}

func inviteNotYours(name string, err error, h *Handlers) string {
	var ee *account.ExpiredError
	if errors.As(err, &ee) {
		return h.expired(ee.Name, ee.Own)
	}
	return fmt.Sprintf(":no_entry: This message went from the LinkedIn account *%s*, which you may not use, so nobody was invited. An invitation goes from the same account: ask someone who may use it.", send.MrkdwnEscape(name))
}

// inviteForm is the invitation form: the note (LinkedIn's 300 characters,
// empty for none), the message on acceptance when it follows a failed
// send (checked), and Send as when there are several accounts.
func inviteForm(meta inviteMeta, note string, fromSend bool, choices []account.Choice) slack.ModalViewRequest {
	md, _ := json.Marshal(meta)
	// Shown as the Home tab shows it: a link labelled with its slug, in
	// verbatim text, never a bare URL Slack would link and unfurl.
	to := "Invite " + recipientLink(meta.Profile) + " to connect. An invitation costs 1 Linkup credit; LinkedIn lets an account message only its connections."
	noteIn := slack.NewPlainTextInputBlockElement(plain("Hi Jane, I'd like to connect."), BlockNote)
	noteIn.Multiline = true
	noteIn.MaxLength = linkup.MaxNoteRunes
	noteIn.InitialValue = truncate(note, linkup.MaxNoteRunes)
	noteBlock := slack.NewInputBlock(BlockNote, plain("Note"), plain("Optional, up to 300 characters. Free LinkedIn accounts may send only a few notes a month."), noteIn)
	noteBlock.Optional = true
	blocks := []slack.Block{
		slack.NewSectionBlock(verbatim(truncate(to, 3000)), nil, nil),
		noteBlock,
	}
	if fromSend {
		opt := slack.NewOptionBlockObject(sendOnAcceptOption, plain("Send my message once they accept"), nil)
		box := slack.NewCheckboxGroupsBlockElement(BlockSendOnAccept, opt)
		box.InitialOptions = []*slack.OptionBlockObject{opt}
		b := slack.NewInputBlock(BlockSendOnAccept, plain("When they accept"), nil, box)
		b.Optional = true
		blocks = append(blocks, b)
	}
	if usable := usableAccounts(choices); len(usable) > 1 {
		var options []*slack.OptionBlockObject
		for _, c := range usable {
			options = append(options, slack.NewOptionBlockObject(c.Name, plain(truncate(c.Name, 75)), nil))
		}
		sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Account"), BlockAccount, options...)
		sel.InitialOption = options[0]
		blocks = append(blocks, slack.NewInputBlock(BlockAccount, plain("Send as"), plain("The LinkedIn account the invitation goes from."), sel))
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      InviteCallbackID,
		Title:           plain("Invite on LinkedIn"),
		Submit:          plain("Invite"),
		Close:           plain("Cancel"),
		PrivateMetadata: string(md),
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

// inviteSubmit handles the invitation form; the view ID is the
// idempotency key, so a form submitted twice invites once.
func (h *Handlers) inviteSubmit(ctx context.Context, cb slack.InteractionCallback) Response {
	if h.cfg.Inviter == nil {
		return Response{}
	}
	var meta inviteMeta
	if err := json.Unmarshal([]byte(cb.View.PrivateMetadata), &meta); err != nil || (meta.Profile == "" && meta.Send == 0) {
		return Response{Ack: slack.NewErrorsViewSubmissionResponse(map[string]string{BlockNote: "This form is broken; nobody was invited. Open it again."})}
	}
	var note, acct string
	wanted := false
	if st := cb.View.State; st != nil {
		note = strings.TrimSpace(st.Values[BlockNote][BlockNote].Value)
		acct = st.Values[BlockAccount][BlockAccount].SelectedOption.Value
		for _, o := range st.Values[BlockSendOnAccept][BlockSendOnAccept].SelectedOptions {
			wanted = wanted || o.Value == sendOnAcceptOption
		}
	}
	if n := utf8.RuneCountInString(note); n > linkup.MaxNoteRunes {
		return Response{Ack: slack.NewErrorsViewSubmissionResponse(map[string]string{BlockNote: fmt.Sprintf("%d characters: LinkedIn takes at most %d.", n, linkup.MaxNoteRunes)})}
	}
	channel := meta.Channel
	if channel == "" && meta.Send == 0 {
		channel = cb.User.ID
	}
	_, err := h.cfg.Inviter.Invite(ctx, invite.Request{
		IdemKey: store.IdemKey("invite-view", cb.View.ID), UserID: cb.User.ID, Channel: channel, ThreadTS: meta.ThreadTS,
		Profile: meta.Profile, Note: note, Account: acct, FromSend: meta.Send, SendOnAccept: wanted && meta.Send != 0,
	})
	if text, refused := h.inviteRefusal(err, cb.User.ID); refused {
		block := BlockNote
		if cb.View.State != nil && cb.View.State.Values[BlockAccount] != nil {
			block = BlockAccount
		}
		return Response{Ack: slack.NewErrorsViewSubmissionResponse(map[string]string{block: text}), After: func(_ context.Context, log zerolog.Logger) {
			log.Info().Err(err).Msg("invitation refused; nobody invited")
		}}
	}
	return Response{}
}

// inviteRefusal is the requester's sentence for an invitation not taken;
// refused is false when it was taken, or was a duplicate.
func (h *Handlers) inviteRefusal(err error, userID string) (string, bool) {
	var wc *store.WeekCapError
	switch {
	case err == nil, errors.Is(err, store.ErrDuplicate):
		return "", false
	case errors.As(err, &wc):
		return fmt.Sprintf("This LinkedIn account sent its %d invitations of the last 7 days (INVITES_PER_WEEK), so nobody was invited. The next one is possible from %s UTC (in %s).",
			wc.Limit, wc.NextAt.UTC().Format("Mon 2 Jan 15:04"), time.Until(wc.NextAt).Round(time.Minute)), true
	case errors.Is(err, invite.ErrNoteLen), errors.Is(err, invite.ErrDryRun), errors.Is(err, invite.ErrClosed), errors.Is(err, invite.ErrNotRefused):
		return err.Error() + ". Nobody was invited.", true
	case errors.Is(err, account.ErrNotAllowed):
		return "You may not use this message's LinkedIn account, so nobody was invited.", true
	}
	if text, refused := h.accountRefusal(err, userID); refused {
		return text, true
	}
	return "The invitation could not be recorded, so nobody was invited. Please try again; if it keeps failing, tell the bot's admin.", true
}

// cancelOnAccept withdraws the message an invitation would send on
// acceptance; only its requester, or someone who may use its account,
// may: anyone else is told privately, and nothing changes.
func (h *Handlers) cancelOnAccept(cb slack.InteractionCallback) Response {
	if h.cfg.Inviter == nil {
		return Response{}
	}
	id, err := strconv.ParseInt(cb.ActionCallback.BlockActions[0].Value, 10, 64)
	if err != nil {
		return h.tellLater(cb.ResponseURL, cb.User.ID, ":warning: This Cancel button is broken; nothing changed.")
	}
	return Response{After: func(ctx context.Context, log zerolog.Logger) {
		text, err := h.cfg.Inviter.Cancel(ctx, id, cb.User.ID)
		switch {
		case errors.Is(err, invite.ErrNotYours):
			text = ":no_entry: " + err.Error() + ". Nothing changed."
		case errors.Is(err, store.ErrNotFound):
			text = ":warning: The bot has no record of that invitation; nothing changed."
		case err != nil:
			log.Error().Err(err).Int64("invitation_id", id).Msg("cancelling a message on acceptance failed")
			text = ":warning: The bot could not cancel the message. Please try again."
		default:
			text = ":information_source: " + text
		}
		h.reply(ctx, log, cb.ResponseURL, cb.User.ID, text)
		if h.cfg.Home != nil {
			h.cfg.Home.Changed(cb.User.ID)
		}
	}}
}

// inviteWithoutNote invites again, without a note, someone whose
// invitation LinkedIn refused for its note (CUSTOM_INVITE_LIMIT_REACHED),
// with its message on acceptance unless it was cancelled.
func (h *Handlers) inviteWithoutNote(cb slack.InteractionCallback) Response {
	if h.cfg.Inviter == nil {
		return Response{}
	}
	id, err := strconv.ParseInt(cb.ActionCallback.BlockActions[0].Value, 10, 64)
	if err != nil {
		return h.tellLater(cb.ResponseURL, cb.User.ID, ":warning: This button is broken; nobody was invited.")
	}
	return Response{After: func(ctx context.Context, log zerolog.Logger) {
		inv, err := h.cfg.Inviter.Get(ctx, id)
		if err != nil {
			h.reply(ctx, log, cb.ResponseURL, cb.User.ID, ":warning: The bot has no record of that invitation; nobody was invited.")
			return
		}
		if inv.State != store.InviteFailed || inv.Code != linkup.CodeNoteLimit {
			h.reply(ctx, log, cb.ResponseURL, cb.User.ID, ":information_source: LinkedIn did not refuse that invitation's note, so nobody was invited again.")
			return
		}
		req := invite.Request{IdemKey: store.IdemKey("invite-nonote", strconv.FormatInt(id, 10)), UserID: cb.User.ID,
			Channel: inv.Channel, ThreadTS: inv.ThreadTS, Profile: inv.Recipient, Account: inv.Account,
			FromSend: inv.FromSend, SendOnAccept: inv.Message != "" && inv.Intent != store.IntentCancelled}
		if h.cfg.Accounts != nil && req.FromSend == 0 {
			if err := h.cfg.Accounts.MayUse(ctx, cb.User.ID, inv.Account); err != nil {
				h.reply(ctx, log, cb.ResponseURL, cb.User.ID, inviteNotYours(inv.Account, err, h))
				return
			}
		}
		_, err = h.cfg.Inviter.Invite(ctx, req)
		if text, refused := h.inviteRefusal(err, cb.User.ID); refused {
			h.reply(ctx, log, cb.ResponseURL, cb.User.ID, ":warning: "+text)
		}
	}}
}

// homeInvitations is the Home tab's section of user's pending
// invitations, with their state and, where a message waits for the
// acceptance, its Cancel button; none when they have none.
func (h *Handlers) homeInvitations(ctx context.Context, log zerolog.Logger, user string) []slack.Block {
	if h.cfg.Inviter == nil {
		return nil
	}
	invs, err := h.cfg.Inviter.Of(ctx, user)
	if err != nil {
		log.Error().Err(err).Msg("reading a person's invitations for Home failed")
		return nil
	}
	if len(invs) == 0 {
		return nil
	}
	blocks := []slack.Block{slack.NewDividerBlock(), slack.NewHeaderBlock(plain("Your pending invitations"))}
	for _, inv := range invs {
		state := "waiting for an answer"
		switch {
		case inv.State == store.InviteAccepted:
			state = "accepted"
		case inv.State == store.InviteCalling:
			state = "being sent"
		}
		switch inv.Intent {
		case store.IntentWanted:
			state += "; your message goes once they accept"
		case store.IntentDue, store.IntentSending:
			state += "; your message is being sent"
		}
		line := fmt.Sprintf(":envelope_with_arrow: %s · %s · %s", recipientLink(inv.Recipient), state, slackDate(inv.CreatedAt))
		if link := h.cfg.Home.link(ctx, inv.Channel, inv.ThreadTS); link != "" {
			line += " · <" + link + "|thread>"
		}
		sec := slack.NewSectionBlock(verbatim(truncate(line, 3000)), nil, nil)
		if inv.Intent == store.IntentWanted {
			sec.Accessory = slack.NewAccessory(invite.CancelButton(inv.ID))
		}
		blocks = append(blocks, sec)
	}
	return blocks
}
