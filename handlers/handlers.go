// Package handlers is linkedin-bot's Slack surface: the /linkedin-send
// command, the shortcuts, the modal and its submission. Each handler
// returns at once with what to ack; slow work (opening a modal) runs after
// the ack, and sends go to the send pipeline.
package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"linkedin-bot/account"
	"linkedin-bot/conversation"
	"linkedin-bot/invite"
	"linkedin-bot/linkup"
	"linkedin-bot/send"
	"linkedin-bot/slackpost"
	"linkedin-bot/store"
)

// Slack is the part of the Web API the handlers call; *slack.Client is the production one.
type Slack interface {
	OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error)
	UpdateViewContext(ctx context.Context, view slack.ModalViewRequest, externalID, hash, viewID string) (*slack.ViewResponse, error)
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	GetUserInfoContext(ctx context.Context, user string, options ...slack.GetUserInfoOption) (*slack.User, error)
	GetConversationInfoContext(ctx context.Context, input *slack.GetConversationInfoInput) (*slack.Channel, error)
	// FileInfo is files.info's answer as Slack sent it (slack-go refuses
	// some real file objects); see send.SlackFiles.Info.
	FileInfo(ctx context.Context, fileID string) ([]byte, error)
}

// Sender records requests and retries; *send.Pipeline is the production one.
type Sender interface {
	Submit(ctx context.Context, req send.Request) (store.Send, error)
	Retry(ctx context.Context, id int64, userID, responseURL string) (store.Send, error)
}

// Conversations finds mirrored LinkedIn conversations; *conversation.Bridge
// is the production one.
type Conversations interface {
	Lookup(ctx context.Context, id int64) (store.Conversation, error)
	ByThread(ctx context.Context, channel, threadTS string) (store.Conversation, error)
}

// Accounts says which LinkedIn accounts a user may send from, best first,
// and connects and removes a person's own; *account.Service is the
// production one.
type Accounts interface {
	Choices(ctx context.Context, user string) ([]account.Choice, error)
	// MayUse says whether user may act now on a send or a conversation
	// of account name (see account.Service.MayUse).
	MayUse(ctx context.Context, user, name string) error
	ConnectOwn(ctx context.Context, user, name, country string, cred account.Credential) (string, error)
	DisconnectOwn(ctx context.Context, user string) (string, error)
	SentToday(ctx context.Context, name string) (int, error)
}

// Config is what the handlers need to know of the configuration.
type Config struct {
	// MaxMessageLen is the longest message accepted, in characters.
	MaxMessageLen int
	// Country is the default proxy country.
	Country string
	// AllowedUsers are the Slack user IDs who may send; empty allows everyone.
	AllowedUsers map[string]bool
	// MaxMediaBytes is the largest attachment accepted.
	MaxMediaBytes int64
	// Accounts, when set, lists the accounts a user may send from, for
	// the form's "Send as"; without it every send goes from the default.
	Accounts Accounts
	// DefaultAccount is the default account's name (LINKUP_ACCOUNT_NAME):
	// replies from a mirrored thread go from it.
	DefaultAccount string
	// Logins, when set with Accounts, lets people connect their own account
	// from Slack (ACCOUNT_SELF_SERVICE).
	Logins Logins
	// DailyLimit is DAILY_SEND_LIMIT, shown by `/linkedin-send account`.
	DailyLimit int
	// Home, when set, publishes people's Home tabs.
	Home *Home
	// Once, when set, tells the first delivery of a connect form's
	// submission from a repeat across every bot of the log (*store.Store);
	// without it, within this bot only.
	Once Once
	// Inviter, when set, sends invitations (the Invite with a note button,
	// `/linkedin-send invite`, the invitation form and its buttons).
	Inviter Inviter
	// Campaigns, when set, takes `/linkedin-send campaign` and the
	// campaigns' buttons (issue 27).
	Campaigns Campaigns
	// Sealer seals the response_url a form keeps in its private_metadata,
	// bound to the user it was opened for; one that does not open is no
	// response_url. Nil seals under a key of this process only.
	Sealer *slackpost.Sealer
}

// Handlers answers Slack requests.
type Handlers struct {
	cfg    Config
	slack  Slack
	sender Sender
	convs  Conversations
	http   *http.Client

	connecting Once // connect views acted on
}

// New returns Handlers that open modals through sl, hand sends to sender
// and find mirrored conversations in convs. httpClient posts to response_urls.
func New(cfg Config, sl Slack, sender Sender, convs Conversations, httpClient *http.Client) *Handlers {
	if cfg.Sealer == nil {
		cfg.Sealer = slackpost.EphemeralSealer()
	}
	h := &Handlers{cfg: cfg, slack: sl, sender: sender, convs: convs, http: httpClient, connecting: cfg.Once}
	if h.connecting == nil {
		h.connecting = &submissions{}
	}
	if cfg.Home != nil {
		cfg.Home.render = h.homeView
	}
	return h
}

// Response is a handler's answer to one envelope.
type Response struct {
	// Ack is the ack's payload; nil acks with none.
	Ack any
	// After, when set, runs once the ack is sent, off the Socket Mode reader.
	After func(ctx context.Context, log zerolog.Logger)
	// Refused is set when the user was refused (not on the allow-list), for the log.
	Refused bool
}

// Command handles /linkedin-send. The envelope ID is the request's
// idempotency key: an envelope delivered again sends nothing.
func (h *Handlers) Command(ctx context.Context, cmd slack.SlashCommand, envelopeID string) Response {
	if !h.allowed(cmd.UserID) {
		r := ephemeral(notAllowed(cmd.UserID))
		r.Refused = true
		return r
	}
	if r, ok := h.selfCommand(cmd); ok {
		return r
	}
	if isInvite(cmd.Text) {
		return h.inviteCommand(cmd)
	}
	c, err := ParseCommand(cmd.Text, h.cfg.MaxMessageLen)
	switch {
	case err != nil:
		return ephemeral(":warning: " + err.Error() + "\n" + usageLine(cmdName(cmd.Command)))
	case c.Help:
		return ephemeral(usage(cmd.Command))
	}
	if c.Text == "" {
		meta := modalMeta{Channel: cmd.ChannelID, ResponseURL: h.cfg.Sealer.Seal(cmd.ResponseURL, cmd.UserID)}
		return h.openModal(cmd.TriggerID, prefill{Recipient: c.Profile, Upload: true}, meta, cmd.ResponseURL, cmd.UserID)
	}
	_, err = h.sender.Submit(ctx, send.Request{
		IdemKey:     store.IdemKey("envelope", envelopeID),
		UserID:      cmd.UserID,
		ChannelID:   cmd.ChannelID,
		ResponseURL: cmd.ResponseURL,
		Message:     linkup.Message{ProfileURL: c.Profile, Text: c.Text, Country: h.cfg.Country},
	})
	if text, refused := h.accountRefusal(err, cmd.UserID); refused {
		return ephemeral(text)
	}
	if text, refused := refusal(err); refused {
		return ephemeral(":warning: " + text)
	}
	return Response{}
}

// Interaction handles shortcuts, modal submissions and Retry buttons;
// raw is the payload as Slack sent it, read for what slack-go does not
// keep (a message's rich text and attachments). Anything else is acked
// and ignored.
func (h *Handlers) Interaction(ctx context.Context, cb slack.InteractionCallback, raw json.RawMessage) Response {
	if !h.allowed(cb.User.ID) {
		return h.refuseInteraction(cb)
	}
	switch {
	case cb.Type == slack.InteractionTypeShortcut && cb.CallbackID == GlobalShortcutID,
		cb.Type == slack.InteractionTypeBlockActions && len(cb.ActionCallback.BlockActions) > 0 && cb.ActionCallback.BlockActions[0].ActionID == HomeNewSendID:
		// No channel: the outcome comes in a DM.
		return h.openModal(cb.TriggerID, prefill{Upload: true}, modalMeta{}, "", cb.User.ID)
	case cb.Type == slack.InteractionTypeMessageAction && cb.CallbackID == MessageShortcutID:
		if f, ok := csvFile(append(cb.Message.Files, messageFiles(raw)...)); ok && h.cfg.Campaigns != nil {
			return h.campaignShortcut(cb, f) // a list of recipients: a campaign
		}
		return h.messageShortcut(ctx, cb, raw)
	case cb.Type == slack.InteractionTypeViewSubmission && cb.View.CallbackID == ModalCallbackID:
		return h.submit(ctx, cb)
	case cb.Type == slack.InteractionTypeViewSubmission && cb.View.CallbackID == CampaignCallbackID:
		return h.campaignSubmit(ctx, cb)
	case campaignButton(cb):
		return h.campaignAction(cb)
	case cb.Type == slack.InteractionTypeViewSubmission && cb.View.CallbackID == ConnectCallbackID:
		return h.connectSubmit(ctx, cb)
	case cb.Type == slack.InteractionTypeBlockActions && len(cb.ActionCallback.BlockActions) > 0 && cb.ActionCallback.BlockActions[0].ActionID == send.RetryActionID:
		return h.retry(ctx, cb)
	case cb.Type == slack.InteractionTypeBlockActions && len(cb.ActionCallback.BlockActions) > 0 && cb.ActionCallback.BlockActions[0].ActionID == conversation.ReplyActionID:
		return h.replyButton(ctx, cb)
	case cb.Type == slack.InteractionTypeViewSubmission && cb.View.CallbackID == InviteCallbackID:
		return h.inviteSubmit(ctx, cb)
	case cb.Type == slack.InteractionTypeBlockActions && len(cb.ActionCallback.BlockActions) > 0:
		switch cb.ActionCallback.BlockActions[0].ActionID {
		case send.InviteActionID:
			return h.inviteButton(ctx, cb)
		case invite.CancelActionID:
			return h.cancelOnAccept(cb)
		case invite.NoNoteActionID:
			return h.inviteWithoutNote(cb)
		}
		return Response{}
	default:
		return Response{}
	}
}

// accounts are the accounts userID may send from, best first, read after
// the ack (they fill the form's "Send as"); refusal, when set, is why they
// cannot send at all.
func (h *Handlers) accounts(ctx context.Context, userID string) (choices []account.Choice, refusal string) {
	if h.cfg.Accounts == nil {
		return nil, ""
	}
	choices, err := h.cfg.Accounts.Choices(ctx, userID)
	switch {
	case err != nil:
		return nil, ":warning: The bot could not read its LinkedIn accounts, so nothing was sent. Please try again; if it keeps failing, tell the bot's admin."
	case len(choices) == 0:
		return nil, noAccount(userID, h.cfg.Logins != nil)
	case choices[0].Expired:
		return nil, h.expired(choices[0].Name, choices[0].Kind == "own")
	}
	return choices, ""
}

// accountRefusal is the requester's sentence for a send refused because of
// its account (see send.Sessions.Pick).
func (h *Handlers) accountRefusal(err error, userID string) (string, bool) {
	var ee *account.ExpiredError
	switch {
	case errors.Is(err, account.ErrNone):
		return noAccount(userID, h.cfg.Logins != nil), true
	case errors.As(err, &ee):
		return h.expired(ee.Name, ee.Own), true
	case errors.Is(err, account.ErrNotAllowed):
		return ":no_entry: You may no longer send from this account, so nothing was sent; choose another.", true
	}
	return "", false
}

func noAccount(userID string, selfService bool) string {
	return ":no_entry: You have no LinkedIn account to send from, so nothing was sent. " + howToGetAccount(userID, selfService)
}

// howToGetAccount says how someone with no account to send from gets one.
func howToGetAccount(userID string, selfService bool) string {
	text := "Ask "
	if selfService {
		text = "Connect yours with `/linkedin-send connect`, or ask "
	}
	user := send.MrkdwnEscape(slackpost.ShellQuote(userID)) // a Slack user ID: quoted all the same
	return text + fmt.Sprintf("the bot's admin to connect it (`linkedin-bot accounts connect --name <name> --user %s`) or to give you a shared one (`linkedin-bot accounts assign --name <name> --user %s`).", user, user)
}

// expired refuses a send from an expired account. Nobody is switched to
// another account unasked: the message would go from a profile they did
// not mean.
func (h *Handlers) expired(name string, own bool) string {
	return fmt.Sprintf(":warning: The LinkedIn session of the account *%s* expired, so nothing was sent, and Linkup was not called. ", send.MrkdwnEscape(name)) +
		howToConnect(name, own && h.cfg.Logins != nil)
}

// openModal opens the send modal after the ack. Where Slack refuses, the
// user is told through responseURL or, without one, in a DM.
func (h *Handlers) openModal(triggerID string, p prefill, meta modalMeta, responseURL, userID string) Response {
	return Response{After: func(ctx context.Context, log zerolog.Logger) {
		var choices []account.Choice
		var why string
		if meta.Recipient != "" {
			why = h.mayReply(ctx, log, userID, meta.Account) // a reply goes from its thread's account
		} else {
			choices, why = h.accounts(ctx, userID)
		}
		if why != "" {
			h.reply(ctx, log, responseURL, userID, why)
			return
		}
		p.Accounts = choices
		h.openView(ctx, log, triggerID, h.modal(p, meta), responseURL, userID)
	}}
}

// mayReply says why userID cannot answer a conversation of account name;
// empty when they can. The submission is checked again (by the pipeline):
// someone unassigned while the form is open is refused then.
func (h *Handlers) mayReply(ctx context.Context, log zerolog.Logger, userID, name string) string {
	if h.cfg.Accounts == nil {
		return ""
	}
	var ee *account.ExpiredError
	switch err := h.cfg.Accounts.MayUse(ctx, userID, name); {
	case err == nil:
		return ""
	case errors.Is(err, account.ErrNotAllowed):
		log.Warn().Err(err).Str("account", name).Msg("refused for its account; the reply form did not open")
		return notYourConversation(name, "the reply form did not open")
	case errors.As(err, &ee):
		return h.expired(ee.Name, ee.Own)
	default:
		return ":warning: The bot could not read its LinkedIn accounts, so the reply form did not open. Please try again; if it keeps failing, tell the bot's admin."
	}
}

// notYourConversation refuses an answer to a conversation of account name
// from someone who may not send from it; outcome says what did not happen.
func notYourConversation(name, outcome string) string {
	return fmt.Sprintf(":no_entry: This conversation belongs to the LinkedIn account *%s*, which you may not send from, so %s. A reply goes from that account: ask someone who may use it to answer, or the bot's admin to give you access.", send.MrkdwnEscape(name), outcome)
}

// openView opens view; where Slack refuses, it tells the user and returns nil.
func (h *Handlers) openView(ctx context.Context, log zerolog.Logger, triggerID string, view slack.ModalViewRequest, responseURL, userID string) *slack.ViewResponse {
	opened, err := h.slack.OpenViewContext(ctx, triggerID, view)
	if err != nil {
		log.Error().Err(err).Msg("opening the modal failed")
		h.reply(ctx, log, responseURL, userID, modalFailure(err))
		return nil
	}
	return opened
}

// submit handles the modal's submission; the view ID is the idempotency
// key, so a modal submitted twice sends once.
func (h *Handlers) submit(ctx context.Context, cb slack.InteractionCallback) Response {
	m, file, meta, errs := h.submission(cb.View)
	acct := orDefault(meta.Account, h.cfg.DefaultAccount) // a reply goes from its thread's account
	if meta.Recipient == "" {
		acct = "" // the sender's best, unless they chose
		if st := cb.View.State; st != nil {
			acct = st.Values[BlockAccount][BlockAccount].SelectedOption.Value
		}
	}
	if len(errs) > 0 {
		return Response{Ack: slack.NewErrorsViewSubmissionResponse(errs)}
	}
	channel := meta.Channel
	if channel == "" {
		channel = cb.User.ID // a global shortcut: answer in a DM
	}
	var r Response
	hook, opened := h.responseURL(meta, cb.User.ID)
	if !opened {
		r.After = func(_ context.Context, log zerolog.Logger) {
			log.Debug().Msg("the form's response_url does not open (sealed under another bot token, or for someone else); it is not used")
		}
	}
	_, err := h.sender.Submit(ctx, send.Request{
		IdemKey:     store.IdemKey("view", cb.View.ID),
		UserID:      cb.User.ID,
		ChannelID:   channel,
		ThreadTS:    meta.ThreadTS,
		ResponseURL: hook,
		Message:     m,
		File:        file,
		Account:     acct,
	})
	if meta.Recipient != "" && errors.Is(err, account.ErrNotAllowed) {
		// A reply whose sender may no longer use the conversation's account.
		return Response{Ack: slack.NewErrorsViewSubmissionResponse(map[string]string{BlockMessage: notYourConversation(acct, "nothing was sent")})}
	}
	if text, refused := h.accountRefusal(err, cb.User.ID); refused {
		block := BlockMessage
		if cb.View.State != nil && cb.View.State.Values[BlockAccount] != nil {
			block = BlockAccount // the form asked which account: the answer goes there
		}
		return Response{Ack: slack.NewErrorsViewSubmissionResponse(map[string]string{block: text})}
	}
	if text, refused := refusal(err); refused {
		return Response{Ack: slack.NewErrorsViewSubmissionResponse(map[string]string{BlockMessage: text})}
	}
	return r
}

// messageShortcut opens the modal for a Slack message at once, with its
// text made plain and its files on offer, then fills in what needs API
// calls (people's names, Slack Connect files) with views.update.
func (h *Handlers) messageShortcut(ctx context.Context, cb slack.InteractionCallback, raw json.RawMessage) Response {
	msg := cb.Message
	thread := msg.ThreadTimestamp
	if thread == "" {
		thread = msg.Timestamp
	}
	if thread == "" {
		thread = cb.MessageTs
	}
	var files []send.File
	var skipped []string
	var pending []slack.File
	for _, f := range append(msg.Files, messageFiles(raw)...) {
		if f.ID == "" {
			continue
		}
		if f.FileAccess == "check_file_info" || (f.URLPrivateDownload == "" && f.URLPrivate == "") {
			pending = append(pending, f)
			continue
		}
		if sf, reason := h.attachable(f); reason != "" {
			skipped = append(skipped, reason)
		} else {
			files = append(files, sf)
		}
	}
	meta := modalMeta{Channel: cb.Channel.ID, ResponseURL: h.cfg.Sealer.Seal(cb.ResponseURL, cb.User.ID), ThreadTS: thread, Files: files}
	content := messageContent(raw, msg.Text)
	text := func(name func(string) string) string { return tidy(Emojize(Plain(content, name))) }
	users, channels := mentionedIDs(content)

	return Response{After: func(ctx context.Context, log zerolog.Logger) {
		// The log is read after the ack: a slow disk never holds it.
		choices, why := h.accounts(ctx, cb.User.ID)
		if why != "" {
			h.reply(ctx, log, cb.ResponseURL, cb.User.ID, why)
			return
		}
		recipient := ""
		if c, err := h.convs.ByThread(ctx, cb.Channel.ID, thread); err == nil {
			recipient = c.ProfileURL // a message in a mirrored thread: answer that conversation
		}
		view := h.modal(prefill{Recipient: recipient, Message: text(nil), Files: files, Skipped: skipped, Accounts: choices}, meta)
		opened := h.openView(ctx, log, cb.TriggerID, view, cb.ResponseURL, cb.User.ID)
		if opened == nil || len(users) == 0 && len(channels) == 0 && len(pending) == 0 {
			return
		}
		names := map[string]string{}
		for _, id := range users {
			u, err := h.slack.GetUserInfoContext(ctx, id)
			if err != nil {
				log.Warn().Err(err).Str("mentioned", id).Msg("users.info failed; the mention reads \"a colleague\"")
				continue
			}
			names[id] = displayName(u)
		}
		for _, id := range channels {
			c, err := h.slack.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
			if err != nil || c == nil || c.Name == "" {
				log.Warn().Err(err).Str("channel", id).Msg("conversations.info failed; the channel reads \"#channel\"")
				continue
			}
			names[id] = c.Name
		}
		for _, stub := range pending {
			f, err := h.fileInfo(ctx, stub.ID)
			if err != nil {
				log.Warn().Err(err).Str("file", stub.ID).Msg("files.info failed")
				skipped = append(skipped, fileLabel(stub)+": Slack would not share it with the bot")
				continue
			}
			if sf, reason := h.attachable(f); reason != "" {
				skipped = append(skipped, reason)
			} else {
				files = append(files, sf)
			}
		}
		meta.Files = files
		full := h.modal(prefill{Recipient: recipient, Message: text(func(id string) string { return names[id] }), Files: files, Skipped: skipped, Accounts: choices}, meta)
		if _, err := h.slack.UpdateViewContext(ctx, full, "", opened.Hash, opened.ID); err != nil {
			// hash_conflict: the user already edited the form; their text stays.
			log.Warn().Err(err).Msg("filling in the modal failed")
		}
	}}
}

// fileInfo reads a file's object from files.info, leniently: one odd
// field (channels sent as {}) must not lose the file.
func (h *Handlers) fileInfo(ctx context.Context, id string) (slack.File, error) {
	raw, err := h.slack.FileInfo(ctx, id)
	if err != nil {
		return slack.File{}, err
	}
	var answer struct {
		OK    bool            `json:"ok"`
		Error string          `json:"error"`
		File  json.RawMessage `json:"file"`
	}
	if _, err := Decode(raw, &answer); err != nil {
		return slack.File{}, fmt.Errorf("files.info: %w", err)
	}
	if !answer.OK {
		return slack.File{}, fmt.Errorf("files.info: %s", answer.Error)
	}
	var f slack.File
	dropped, err := Decode(answer.File, &f)
	if err != nil {
		return slack.File{}, fmt.Errorf("files.info: %w", err)
	}
	_ = dropped
	return f, nil
}

func displayName(u *slack.User) string {
	for _, n := range []string{u.Profile.DisplayName, u.Profile.RealName, u.RealName, u.Name} {
		if n != "" {
			return n
		}
	}
	return "@" + u.ID
}

// retry handles a Retry button, in a thread or on Home. Its send ID keys
// the retry: two clicks, one retry. Only someone who may send from the
// send's account now may retry it (send.Pipeline.Retry checks it);
// anyone else is told why, privately.
func (h *Handlers) retry(ctx context.Context, cb slack.InteractionCallback) Response {
	id, err := strconv.ParseInt(cb.ActionCallback.BlockActions[0].Value, 10, 64)
	if err != nil {
		return h.tellLater(cb.ResponseURL, cb.User.ID, ":warning: This Retry button is broken; nothing was sent.")
	}
	sd, err := h.sender.Retry(ctx, id, cb.User.ID, cb.ResponseURL)
	var ee *account.ExpiredError
	switch {
	case errors.Is(err, account.ErrNotAllowed):
		return h.tellLater(cb.ResponseURL, cb.User.ID, fmt.Sprintf(":no_entry: This message went from the LinkedIn account *%s*, which you may not send from, so nothing was sent. "+
			"A Retry goes from the account the message went from: ask someone who may use it to retry, or the bot's admin to give you access.", send.MrkdwnEscape(sd.Account)))
	case errors.As(err, &ee):
		return h.tellLater(cb.ResponseURL, cb.User.ID, h.expired(ee.Name, ee.Own))
	case errors.Is(err, send.ErrNotRetryable):
		return h.tellLater(cb.ResponseURL, cb.User.ID, ":information_source: That message was already sent or is still being sent; nothing more was sent.")
	case errors.Is(err, store.ErrNotFound):
		return h.tellLater(cb.ResponseURL, cb.User.ID, ":warning: The bot has no record of that message; nothing was sent.")
	}
	if text, refused := refusal(err); refused {
		return h.tellLater(cb.ResponseURL, cb.User.ID, ":warning: "+text)
	}
	return Response{}
}

// replyButton opens the reply modal for a mirrored conversation: its
// recipient fixed, its outcome in the conversation's thread.
func (h *Handlers) replyButton(ctx context.Context, cb slack.InteractionCallback) Response {
	id, err := strconv.ParseInt(cb.ActionCallback.BlockActions[0].Value, 10, 64)
	if err != nil {
		return h.tellLater(cb.ResponseURL, cb.User.ID, ":warning: This Reply button is broken; nothing was sent.")
	}
	c, err := h.convs.Lookup(ctx, id)
	if err != nil {
		return h.tellLater(cb.ResponseURL, cb.User.ID, ":warning: The bot has no record of this conversation; nothing was sent. Use /linkedin-send instead.")
	}
	meta := modalMeta{Channel: c.Channel, ThreadTS: c.ThreadTS, ResponseURL: h.cfg.Sealer.Seal(cb.ResponseURL, cb.User.ID), Recipient: c.ProfileURL, Name: c.Participant,
		Account: orDefault(c.Account, h.cfg.DefaultAccount)}
	return h.openModal(cb.TriggerID, prefill{Upload: true}, meta, cb.ResponseURL, cb.User.ID)
}

// responseURL opens the response_url meta holds for userID. It reports
// false when meta has one that does not open (sealed under a bot token
// since rotated, or for someone else's form): there is none then, and the
// outcome goes to the channel or a DM.
func (h *Handlers) responseURL(meta modalMeta, userID string) (string, bool) {
	if meta.ResponseURL == "" {
		return "", true
	}
	return h.cfg.Sealer.Open(meta.ResponseURL, userID)
}

// tellLater acks at once and tells the user text after the ack.
func (h *Handlers) tellLater(responseURL, userID, text string) Response {
	return Response{After: func(ctx context.Context, log zerolog.Logger) {
		h.reply(ctx, log, responseURL, userID, text)
	}}
}

func (h *Handlers) allowed(userID string) bool {
	return len(h.cfg.AllowedUsers) == 0 || h.cfg.AllowedUsers[userID]
}

func notAllowed(userID string) string {
	return fmt.Sprintf(":no_entry: You are not allowed to send LinkedIn messages with this bot. Ask its admin to add your Slack user ID (%s) to ALLOWED_USERS.", userID)
}

// refuseInteraction answers a user outside the allow-list privately.
func (h *Handlers) refuseInteraction(cb slack.InteractionCallback) Response {
	if cb.Type == slack.InteractionTypeViewSubmission {
		return Response{Ack: slack.NewErrorsViewSubmissionResponse(map[string]string{BlockMessage: notAllowed(cb.User.ID)}), Refused: true}
	}
	r := h.tellLater(cb.ResponseURL, cb.User.ID, notAllowed(cb.User.ID))
	r.Refused = true
	return r
}

// reply tells a user something outside a send: through responseURL when
// there is one, else in a DM.
func (h *Handlers) reply(ctx context.Context, log zerolog.Logger, responseURL, userID, text string) {
	var err error
	switch {
	case responseURL != "":
		err = send.PostWebhook(ctx, h.http, responseURL, &slack.WebhookMessage{Text: text, ResponseType: slack.ResponseTypeEphemeral})
	case userID != "":
		_, _, err = h.slack.PostMessageContext(ctx, userID, slack.MsgOptionText(text, false))
	default:
		err = errors.New("no way to reach the user")
	}
	if err != nil {
		log.Error().Err(err).Msg("telling the user failed")
	}
}

func modalFailure(err error) string {
	if strings.Contains(err.Error(), "expired_trigger_id") {
		return ":warning: Slack took too long to open the form. Please try again."
	}
	return ":warning: The form could not be opened. Please try again; if it keeps failing, tell the bot's admin."
}

// refusal is the user's sentence for a request the pipeline did not take;
// refused is false when it was taken, or was a duplicate, which is answered quietly.
func refusal(err error) (text string, refused bool) {
	var ce *store.CapError
	switch {
	case err == nil, errors.Is(err, send.ErrDuplicate):
		return "", false
	case errors.As(err, &ce):
		return fmt.Sprintf("The LinkedIn account's daily limit of %d messages is reached, so nothing was sent. It resets at %s UTC (in %s).",
			ce.Limit, ce.ResetAt.UTC().Format("15:04"), time.Until(ce.ResetAt).Round(time.Minute)), true
	case errors.Is(err, send.ErrClosed):
		return "The bot is restarting, so nothing was sent. Please try again in a minute.", true
	case errors.Is(err, send.ErrNotRecorded):
		return "The bot's send log did not answer in time, so this request was not recorded and nothing was sent. Please try again in a moment; if it keeps failing, tell the bot's admin.", true
	default:
		return "The request could not be recorded, so nothing was sent. Please try again; if it keeps failing, tell the bot's admin.", true
	}
}

func ephemeral(text string) Response {
	return Response{Ack: map[string]any{"response_type": slack.ResponseTypeEphemeral, "text": text}}
}

func usageLine(command string) string {
	return fmt.Sprintf("Usage: `%s <linkedin profile url> <message>`, or `%s` alone for a form.", command, command)
}

func cmdName(command string) string {
	if command == "" {
		return "/linkedin-send"
	}
	return command
}

func usage(command string) string {
	command = cmdName(command)
	return usageLine(command) + "\n" +
		"• Example: `" + command + " " + linkup.ExampleProfileURL + " Hi Jane, great to meet you!`\n" +
		"• The message goes from your LinkedIn account (`" + command + " account` says which); the outcome is posted in a thread here.\n" +
		"• `" + command + " connect` connects your own LinkedIn account, where the bot allows it; `" + command + " disconnect` removes it.\n" +
		"• `" + command + " invite <linkedin profile url> [note]` invites someone to connect, with a note of up to 300 characters (1 credit); LinkedIn lets an account message only its connections.\n" +
		"• `" + command + " campaign` sends one reviewed message to many people from a CSV, paced like a careful person; nothing goes before you press Start.\n" +
		"• A text message costs 1 Linkup credit, one with an attachment 2. Use the form to add an attachment link."
}
