package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"linkedin-bot/account"
	"linkedin-bot/linkup"
	"linkedin-bot/send"
	"linkedin-bot/slackpost"
)

// Self-service: `/linkedin-send connect` opens a form that logs the
// person's own LinkedIn account in through Linkup (ACCOUNT_SELF_SERVICE);
// `/linkedin-send disconnect` removes it; `/linkedin-send account` says
// which account their sends go from.
//
// The password passes through Slack to the bot and on to Linkup, once: it
// is never stored, logged or put in a view. Each login, verify and
// checkpoint call is made once, on a person's submission: a call costs
// credits and, repeated, can lock the LinkedIn account.
//
// On Linkup v1 a login gives a login token, after the emailed code when
// LinkedIn asks for one (/v1/auth/login, /v1/auth/verify). On v2 it gives
// the account's persistent account_id (POST /v2/login); LinkedIn may ask
// for the emailed code or for an approval in the LinkedIn app, which POST
// /v2/checkpoint completes: with the code, or, once the person says they
// approved, without one. The form then says "approve it in the app" and
// checks only when they press "I approved it".

// The connect form's callback and block IDs (each block's action_id is its block_id).
const (
	ConnectCallbackID = "linkedin_connect"
	BlockEmail        = "email"
	BlockPassword     = "password"
	BlockCode         = "code"
)

// Logins logs LinkedIn accounts in; *linkup.Client is the production one.
type Logins interface {
	Login(ctx context.Context, email, password, country string) (linkup.LoginResult, error)
	// Verify is v1's second step (the emailed code), Checkpoint v2's (the
	// code, or none after an approval in the LinkedIn app).
	Verify(ctx context.Context, email, code, country string) (linkup.LoginResult, error)
	Checkpoint(ctx context.Context, accountID, code string) (linkup.LoginResult, error)
	// Version is the Linkup API the logins go through: linkup.V1 or V2.
	Version() string
}

// connectMeta is the connect form's private_metadata: its step, and after
// a login that asked for a code or an approval, the email and country to
// verify with (v1) or the Linkup account to complete (v2). Slack keeps it
// with the view: the person cannot change it.
type connectMeta struct {
	Step    string `json:"s"` // "form", "wait", "code", "approve", "again", "done"
	Email   string `json:"e,omitempty"`
	Country string `json:"c,omitempty"`
	Account string `json:"a,omitempty"` // v2: the account_id the checkpoint completes
}

// Once tells a request acted on the first time from a repeat: a connect
// form's submission (view ID and hash) that Slack delivers twice, to this
// bot or another, logs in once. First records key and reports whether it
// was new; on an error, nothing may be done.
type Once interface {
	First(ctx context.Context, key string) (bool, error)
}

// submissions is a Once within one bot, for a Handlers without a shared
// log: it remembers keys for an hour.
type submissions struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// First reports whether key is seen for the first time in the last hour.
func (s *submissions) First(_ context.Context, key string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.seen == nil {
		s.seen = map[string]time.Time{}
	}
	for k, at := range s.seen {
		if now.Sub(at) > time.Hour {
			delete(s.seen, k)
		}
	}
	if _, ok := s.seen[key]; ok {
		return false, nil
	}
	s.seen[key] = now
	return true, nil
}

// firstSubmission reports whether the connect form's submission cb is
// acted on for the first time; done, when it is not, is the ack to give.
func (h *Handlers) firstSubmission(ctx context.Context, cb slack.InteractionCallback) (first bool, done Response) {
	first, err := h.connecting.First(ctx, "connect:"+cb.View.ID+"/"+cb.View.Hash)
	if err != nil {
		return false, Response{
			Ack: slack.NewErrorsViewSubmissionResponse(map[string]string{BlockEmail: "The bot could not record this step, so nothing was sent to LinkedIn. Try again in a moment."}),
			After: func(_ context.Context, log zerolog.Logger) {
				log.Error().Err(err).Msg("recording a connect form's submission failed; nothing was sent to LinkedIn")
			},
		}
	}
	return first, Response{} // delivered again: the first one is at work
}

// selfCommand answers `connect`, `disconnect` and `account`; ok is false
// for any other text.
func (h *Handlers) selfCommand(cmd slack.SlashCommand) (Response, bool) {
	word := strings.ToLower(strings.TrimSpace(cmd.Text))
	switch word {
	case "connect":
		if h.cfg.Accounts == nil || h.cfg.Logins == nil {
			return ephemeral(":no_entry: Connecting a LinkedIn account from Slack is off on this bot (ACCOUNT_SELF_SERVICE). Ask the bot's admin to connect yours: `linkedin-bot accounts connect --name <name> --user " + send.MrkdwnEscape(slackpost.ShellQuote(cmd.UserID)) + "`."), true
		}
		return Response{After: func(ctx context.Context, log zerolog.Logger) {
			h.openView(ctx, log, cmd.TriggerID, h.connectForm(""), cmd.ResponseURL, cmd.UserID)
		}}, true
	case "disconnect":
		return h.later(cmd, h.disconnect), true
	case "account":
		return h.later(cmd, h.accountStatus), true
	case "campaign":
		return h.campaignCommand(cmd), true
	}
	return Response{}, false
}

// later acks at once and answers privately with what text gives, after
// the ack: the accounts are read off the ack's path.
func (h *Handlers) later(cmd slack.SlashCommand, text func(ctx context.Context, log zerolog.Logger, user string) string) Response {
	return Response{After: func(ctx context.Context, log zerolog.Logger) {
		h.reply(ctx, log, cmd.ResponseURL, cmd.UserID, text(ctx, log, cmd.UserID))
	}}
}

func (h *Handlers) disconnect(ctx context.Context, log zerolog.Logger, user string) string {
	if h.cfg.Accounts == nil {
		return ":information_source: This bot sends from one account only; there is nothing of yours to disconnect."
	}
	name, err := h.cfg.Accounts.DisconnectOwn(ctx, user)
	switch {
	case errors.Is(err, account.ErrNone):
		return ":information_source: You have no LinkedIn account of your own connected, so nothing was removed."
	case err != nil:
		log.Error().Err(err).Msg("disconnecting an account failed")
		return ":warning: The bot could not remove your account. Please try again; if it keeps failing, tell the bot's admin."
	}
	log.Info().Str("account", name).Msg("account disconnected by its owner")
	return fmt.Sprintf(":white_check_mark: Disconnected *%s*: the bot deleted its LinkedIn session and sends nothing more from it. Its past sends stay in the log.", send.MrkdwnEscape(name))
}

// accountStatus says which account user's messages go from, its state and
// today's count, and their other choices: `/linkedin-send account`'s
// answer and the Home tab's "Your account".
func (h *Handlers) accountStatus(ctx context.Context, log zerolog.Logger, user string) string {
	if h.cfg.Accounts == nil {
		return "Your messages go from the team's LinkedIn account."
	}
	choices, err := h.cfg.Accounts.Choices(ctx, user)
	if err != nil {
		log.Error().Err(err).Msg("reading the accounts failed")
		return ":warning: The bot could not read its LinkedIn accounts. Please try again; if it keeps failing, tell the bot's admin."
	}
	if len(choices) == 0 {
		return ":no_entry: *None*: you have no LinkedIn account to send from. " + howToGetAccount(user, h.cfg.Logins != nil)
	}
	c := choices[0]
	var b strings.Builder
	fmt.Fprintf(&b, "Your messages go from *%s* (%s)", send.MrkdwnEscape(c.Name), kindLabel(c.Kind))
	if c.Expired {
		b.WriteString(", whose LinkedIn session *expired*: nothing is sent from it until it is connected again. " + howToConnect(c.Name, c.Kind == "own" && h.cfg.Logins != nil))
	} else {
		b.WriteString(", connected.")
		n, err := h.cfg.Accounts.SentToday(ctx, c.Name)
		switch {
		case err != nil:
			log.Warn().Err(err).Msg("counting today's sends failed")
		case h.cfg.DailyLimit > 0:
			reset := time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
			fmt.Fprintf(&b, " Today: %d of %d messages; the count resets at 00:00 UTC (in %s).", n, h.cfg.DailyLimit, time.Until(reset).Round(time.Minute))
		default:
			fmt.Fprintf(&b, " Today: %d messages (no daily limit).", n)
		}
	}
	if len(choices) > 1 {
		var others []string
		for _, o := range choices[1:] {
			label := send.MrkdwnEscape(o.Name) + " (" + kindLabel(o.Kind)
			if o.Expired {
				label += ", expired"
			}
			others = append(others, label+")")
		}
		b.WriteString("\nYou may also send as " + strings.Join(others, ", ") + ": choose in the form's *Send as*.")
	}
	return b.String()
}

func kindLabel(kind string) string {
	switch kind {
	case "own":
		return "your own"
	case "shared":
		return "shared"
	}
	return "the team's default"
}

// howToConnect says how account name is connected again.
func howToConnect(name string, selfService bool) string {
	if selfService {
		return "Connect it again with `/linkedin-send connect`; it keeps its history and daily count."
	}
	return "Ask the bot's admin to connect it again (" + slackpost.Command("linkedin-bot", "accounts", "connect", "--name", name) + "); it keeps its history and daily count."
}

// connectForm is the form that asks for the email, password and country;
// problem, when set, says why the last try failed.
func (h *Handlers) connectForm(problem string) slack.ModalViewRequest {
	intro := "*Connect your LinkedIn account*, so that your messages go from your own profile.\n" +
		":lock: Your password goes from Slack to this bot, which passes it once to Linkup (the LinkedIn API the bot uses) to log you in. " +
		"It is *never stored or logged*: the bot keeps only the LinkedIn session Linkup returns, encrypted. " +
		"Slack shows the password as you type it, so mind who can see your screen.\n" +
		"LinkedIn may email you a code; this form asks for it next."
	if h.cfg.Logins != nil && h.cfg.Logins.Version() == linkup.V2 {
		intro = "*Connect your LinkedIn account*, so that your messages go from your own profile.\n" +
			":lock: Your password goes from Slack to this bot, which passes it once to Linkup (the LinkedIn API the bot uses) to log you in. " +
			"It is *never stored or logged*: the bot keeps only what Linkup returns to name your LinkedIn session, encrypted. " +
			"Slack shows the password as you type it, so mind who can see your screen.\n" +
			"LinkedIn may email you a code, or ask you to approve the login in the LinkedIn app; this form guides you through either."
	}
	blocks := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, intro, false, false), nil, nil)}
	if problem != "" {
		blocks = append(blocks, slack.NewContextBlock("problem", slack.NewTextBlockObject(slack.MarkdownType, truncate(problem, 3000), false, false)))
	}
	email := slack.NewEmailTextInputBlockElement(plain("you@example.com"), BlockEmail)
	pw := slack.NewPlainTextInputBlockElement(plain("Your LinkedIn password"), BlockPassword)
	blocks = append(blocks,
		slack.NewInputBlock(BlockEmail, plain("LinkedIn email"), nil, email),
		slack.NewInputBlock(BlockPassword, plain("LinkedIn password"), plain("Used once to log in; never stored."), pw),
		h.countryBlock("The country you usually use LinkedIn from: the session is opened, and your messages sent, from there."))
	return connectView("Connect LinkedIn", "Connect", connectMeta{Step: "form"}, blocks...)
}

// codeForm asks for the code LinkedIn emailed; problem, when set, says why
// the last code was refused.
func codeForm(m connectMeta, problem string) slack.ModalViewRequest {
	text := "LinkedIn emailed a verification code to the account's address. Enter it here to finish connecting."
	if problem != "" {
		text = problem + "\nCheck the code and enter it again, or close this and start over with `/linkedin-send connect`."
	}
	in := slack.NewPlainTextInputBlockElement(plain("123456"), BlockCode)
	m.Step = "code"
	return connectView("Connect LinkedIn", "Verify", m,
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, truncate(text, 3000), false, false), nil, nil),
		slack.NewInputBlock(BlockCode, plain("Code"), nil, in))
}

// approveForm asks the person to approve the login in the LinkedIn app
// (v2's app challenge), then to press the button, which checks it once;
// problem, when set, says why the last check did not connect.
func approveForm(m connectMeta, problem string) slack.ModalViewRequest {
	text := ":iphone: LinkedIn asks you to *approve this login in the LinkedIn app*: open the app on your phone and approve the sign-in it shows. " +
		"Then press *I approved it*: the bot checks with LinkedIn once, when you press."
	if problem != "" {
		text = problem + "\nApprove the sign-in in the LinkedIn app, then press *I approved it* again; or close this and start over with `/linkedin-send connect`."
	}
	m.Step = "approve"
	return connectView("Connect LinkedIn", "I approved it", m,
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, truncate(text, 3000), false, false), nil, nil))
}

// connectView is a step of the connect form; submit empty has no button.
func connectView(title, submit string, m connectMeta, blocks ...slack.Block) slack.ModalViewRequest {
	md, _ := json.Marshal(m)
	v := slack.ModalViewRequest{Type: slack.VTModal, CallbackID: ConnectCallbackID, Title: plain(title), Close: plain("Close"),
		PrivateMetadata: string(md), Blocks: slack.Blocks{BlockSet: blocks}}
	if submit != "" {
		v.Submit = plain(submit)
	}
	return v
}

// note is a step of the connect form that only says something.
func note(text string, m connectMeta, submit string) slack.ModalViewRequest {
	return connectView("Connect LinkedIn", submit, m, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, truncate(text, 3000), false, false), nil, nil))
}

// connectSubmit handles each step of the connect form. The ack updates the
// view at once ("Connecting…"); the Linkup call runs after it and its
// outcome replaces that view.
func (h *Handlers) connectSubmit(ctx context.Context, cb slack.InteractionCallback) Response {
	var m connectMeta
	_ = json.Unmarshal([]byte(cb.View.PrivateMetadata), &m)
	value := func(block string) string {
		if cb.View.State == nil {
			return ""
		}
		a := cb.View.State.Values[block][block]
		if a.SelectedOption.Value != "" {
			return a.SelectedOption.Value
		}
		return strings.TrimSpace(a.Value)
	}
	if h.cfg.Accounts == nil || h.cfg.Logins == nil {
		return Response{Ack: slack.NewUpdateViewSubmissionResponse(ptr(note(":no_entry: Connecting a LinkedIn account from Slack is off on this bot.", connectMeta{Step: "done"}, "")))}
	}
	user := cb.User.ID
	switch m.Step {
	case "again":
		return Response{Ack: slack.NewUpdateViewSubmissionResponse(ptr(h.connectForm("")))}
	case "code":
		code := value(BlockCode)
		if code == "" {
			return Response{Ack: slack.NewErrorsViewSubmissionResponse(map[string]string{BlockCode: "Enter the code LinkedIn emailed."})}
		}
		if m.Email == "" && m.Account == "" {
			return Response{Ack: slack.NewUpdateViewSubmissionResponse(ptr(h.connectForm(":warning: This form lost track of the login; please start again.")))}
		}
		if first, done := h.firstSubmission(ctx, cb); !first {
			return done
		}
		wait := connectMeta{Step: "wait"}
		return Response{
			Ack: slack.NewUpdateViewSubmissionResponse(ptr(note(":hourglass_flowing_sand: Checking the code with LinkedIn…", wait, ""))),
			After: func(ctx context.Context, log zerolog.Logger) {
				var res linkup.LoginResult
				var err error
				if m.Account != "" { // v2
					res, err = h.cfg.Logins.Checkpoint(ctx, m.Account, code)
				} else {
					res, err = h.cfg.Logins.Verify(ctx, m.Email, code, m.Country)
				}
				h.connected(ctx, log, cb, m, res, err, "code")
			},
		}
	case "approve":
		if m.Account == "" {
			return Response{Ack: slack.NewUpdateViewSubmissionResponse(ptr(h.connectForm(":warning: This form lost track of the login; please start again.")))}
		}
		if first, done := h.firstSubmission(ctx, cb); !first {
			return done
		}
		return Response{
			Ack: slack.NewUpdateViewSubmissionResponse(ptr(note(":hourglass_flowing_sand: Checking with LinkedIn that you approved the login…", connectMeta{Step: "wait"}, ""))),
			After: func(ctx context.Context, log zerolog.Logger) {
				res, err := h.cfg.Logins.Checkpoint(ctx, m.Account, "")
				h.connected(ctx, log, cb, m, res, err, "approve")
			},
		}
	}
	// The form.
	errs := map[string]string{}
	email := value(BlockEmail)
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		errs[BlockEmail] = "Enter the email address you log in to LinkedIn with."
	}
	password := ""
	if cb.View.State != nil {
		password = cb.View.State.Values[BlockPassword][BlockPassword].Value // as typed: spaces may be part of it
	}
	if password == "" {
		errs[BlockPassword] = "Enter your LinkedIn password."
	}
	country := h.cfg.Country
	if c := value(BlockCountry); c != "" {
		var err error
		if country, err = linkup.Country(c); err != nil {
			errs[BlockCountry] = "Choose one of " + strings.Join(linkup.Countries, ", ") + "."
		}
	}
	if len(errs) > 0 {
		return Response{Ack: slack.NewErrorsViewSubmissionResponse(errs)}
	}
	if first, done := h.firstSubmission(ctx, cb); !first {
		return done
	}
	m = connectMeta{Email: email, Country: country}
	return Response{
		Ack: slack.NewUpdateViewSubmissionResponse(ptr(note(":hourglass_flowing_sand: Connecting to LinkedIn… This takes a few seconds.", connectMeta{Step: "wait"}, ""))),
		After: func(ctx context.Context, log zerolog.Logger) {
			log.Info().Str("user", user).Msg("logging a LinkedIn account in (self-service)")
			res, err := h.cfg.Logins.Login(ctx, email, password, country)
			h.connected(ctx, log, cb, m, res, err, "")
		},
	}
}

// connected shows the outcome of a login, or of its second step (step
// "code": a verify or a checkpoint with the code; "approve": a checkpoint
// after an approval in the app): a code or an approval to ask for, the
// account connected, or Linkup's reason. Where the view is gone (closed),
// the person is told in a DM.
func (h *Handlers) connected(ctx context.Context, log zerolog.Logger, cb slack.InteractionCallback, m connectMeta, res linkup.LoginResult, err error, step string) {
	user := cb.User.ID
	var view slack.ModalViewRequest
	var dm string
	if res.AccountID != "" {
		m.Account = res.AccountID
	}
	switch {
	case err != nil:
		log.Warn().Err(err).Str("step", step).Msg("Linkup refused the LinkedIn login (not retried)")
		why := loginRefusal(err)
		var le *linkup.Error
		if errors.As(err, &le) && le.Kind == linkup.KindInvalid {
			switch step {
			case "code":
				view = codeForm(m, ":warning: Linkup refused the code: "+send.MrkdwnEscape(le.Message)+".")
				dm = ":warning: Linkup refused the LinkedIn code. Enter it again in the form, or start over with `/linkedin-send connect`."
			case "approve":
				view = approveForm(m, ":warning: LinkedIn has not confirmed the approval yet (Linkup: "+send.MrkdwnEscape(le.Message)+").")
				dm = ":warning: LinkedIn has not confirmed the approval of your login yet. Press *I approved it* in the form once you have, or start over with `/linkedin-send connect`."
			}
			if step != "" {
				break
			}
		}
		view = note(":warning: "+why+"\nNothing was tried again on your behalf: each try costs credits and repeated tries can lock a LinkedIn account.", connectMeta{Step: "again"}, "Try again")
		dm = ":warning: Connecting your LinkedIn account failed: " + why + " Start again with `/linkedin-send connect`."
	case res.NeedsApproval && m.Account != "":
		log.Info().Str("step", step).Msg("LinkedIn asked for an approval in its app")
		problem := ""
		if step == "approve" {
			problem = ":warning: LinkedIn has not confirmed the approval yet."
		}
		view = approveForm(m, problem)
		dm = ":information_source: LinkedIn asks you to approve the login in the LinkedIn app, but the connect form was closed. Start again with `/linkedin-send connect`."
	case res.NeedsCode && (step == "" || m.Account != ""):
		// v1: a login asked for the emailed code; v2: a login, or a
		// checkpoint that still wants one.
		log.Info().Str("step", step).Msg("LinkedIn asked for the emailed code")
		problem := ""
		if step != "" {
			problem = ":warning: LinkedIn still asks for the code."
		}
		view = codeForm(m, problem)
		dm = ":information_source: LinkedIn emailed you a code, but the connect form was closed. Start again with `/linkedin-send connect`."
	case !res.Connected():
		log.Warn().Msg("Linkup gave no login token after the code")
		view = note(":warning: Linkup accepted the code but gave no LinkedIn session ("+send.MrkdwnEscape(res.Message)+"). Please try again.", connectMeta{Step: "again"}, "Try again")
		dm = ":warning: Connecting your LinkedIn account failed: Linkup gave no session. Start again with `/linkedin-send connect`."
	default:
		name, err := h.cfg.Accounts.ConnectOwn(ctx, user, h.nameOf(ctx, cb), m.Country, account.Credential{Token: res.Token, AccountID: res.AccountID})
		if err != nil {
			log.Error().Err(err).Msg("storing a self-service account failed")
			view = note(":warning: LinkedIn logged you in, but the bot could not store the session, so nothing is sent from it. Tell the bot's admin.", connectMeta{Step: "again"}, "Try again")
			dm = ":warning: LinkedIn logged you in, but the bot could not store the session. Tell the bot's admin."
			break
		}
		log.Info().Str("account", name).Msg("account connected (self-service)")
		text := fmt.Sprintf(":white_check_mark: Connected as *%s*, your own account (%s). Your LinkedIn messages now go from it. `/linkedin-send account` shows it; `/linkedin-send disconnect` removes it.", send.MrkdwnEscape(name), m.Country)
		view = note(text, connectMeta{Step: "done"}, "")
		dm = text
	}
	if _, err := h.slack.UpdateViewContext(ctx, view, "", "", cb.View.ID); err != nil {
		log.Warn().Err(err).Msg("updating the connect form failed; telling the person in a DM")
		if _, _, err := h.slack.PostMessageContext(ctx, user, slack.MsgOptionText(dm, false)); err != nil {
			log.Error().Err(err).Msg("telling the person how connecting went failed")
		}
	}
}

// loginRefusal is the person's sentence for a failed login or verify.
func loginRefusal(err error) string {
	var le *linkup.Error
	if !errors.As(err, &le) {
		return "Linkup could not be reached, so it is not known whether the login happened. Wait a few minutes before trying again."
	}
	switch le.Kind {
	case linkup.KindUnknown:
		return "Linkup did not answer clearly, so it is not known whether the login happened. Wait a few minutes before trying again."
	case linkup.KindUnreachable:
		return "Linkup could not be reached. Try again in a few minutes."
	case linkup.KindRateLimited:
		return "Linkup's rate limit was reached. Wait a minute before trying again."
	}
	return "Linkup refused the login: " + send.MrkdwnEscape(orDefault(le.Message, fmt.Sprintf("HTTP %d", le.Status))) + "."
}

// nameOf is the name a person's own account gets: their Slack name.
func (h *Handlers) nameOf(ctx context.Context, cb slack.InteractionCallback) string {
	if u, err := h.slack.GetUserInfoContext(ctx, cb.User.ID); err == nil && u != nil {
		return displayName(u)
	}
	if cb.User.Name != "" {
		return cb.User.Name
	}
	return cb.User.ID
}

func ptr[T any](v T) *T { return &v }
