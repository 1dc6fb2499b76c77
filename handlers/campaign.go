package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"linkedin-bot/account"
	"linkedin-bot/campaign"
	"linkedin-bot/send"
	"linkedin-bot/store"
)

// The campaign form's callback and block IDs (the block IDs double as
// action IDs and as the keys of inline errors).
const (
	CampaignCallbackID = "linkedin_campaign"
	BlockCampaignName  = "campaign_name"
	BlockRecipients    = "recipients"
	BlockTemplate      = "template"
)

// Campaigns creates campaigns and acts on their buttons;
// *campaign.Service is the production one.
type Campaigns interface {
	Create(ctx context.Context, d campaign.Draft) (store.Campaign, error)
	PostReview(ctx context.Context, id int64) error
	Act(ctx context.Context, id int64, user, action string) (string, error)
}

// campaignMeta travels in the campaign form's private_metadata.
type campaignMeta struct {
	Channel string `json:"c,omitempty"` // where the review goes; empty: a DM
}

// campaignButton reports whether cb is a press of a campaign's button.
func campaignButton(cb slack.InteractionCallback) bool {
	if cb.Type != slack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) == 0 {
		return false
	}
	return slices.Contains([]string{campaign.StartActionID, campaign.PauseActionID, campaign.ResumeActionID, campaign.CancelActionID},
		cb.ActionCallback.BlockActions[0].ActionID)
}

// campaignCommand opens the campaign form for `/linkedin-send campaign`.
func (h *Handlers) campaignCommand(cmd slack.SlashCommand) Response {
	if h.cfg.Campaigns == nil {
		return ephemeral(":no_entry: Campaigns are off on this bot.")
	}
	return h.openCampaign(cmd.TriggerID, campaignMeta{Channel: cmd.ChannelID}, "", cmd.ResponseURL, cmd.UserID)
}

// openCampaign opens the campaign form after the ack, recipients
// prefilled with csv.
func (h *Handlers) openCampaign(triggerID string, meta campaignMeta, csv, responseURL, userID string) Response {
	return Response{After: func(ctx context.Context, log zerolog.Logger) {
		choices, why := h.accounts(ctx, userID)
		if why != "" {
			h.reply(ctx, log, responseURL, userID, why)
			return
		}
		h.openView(ctx, log, triggerID, h.campaignForm(meta, csv, accountNames(usableAccounts(choices))), responseURL, userID)
	}}
}

func (h *Handlers) campaignForm(meta campaignMeta, csv string, accounts []string) slack.ModalViewRequest {
	name := slack.NewPlainTextInputBlockElement(plain("Thanks for the meetup"), BlockCampaignName)
	name.MaxLength = 80
	nameBlock := slack.NewInputBlock(BlockCampaignName, plain("Name"), nil, name)
	nameBlock.Optional = true
	rec := slack.NewPlainTextInputBlockElement(plain("profile_url,first_name,event\nhttps://www.linkedin.com/in/jane-doe,Jane,the meetup"), BlockRecipients)
	rec.Multiline, rec.MaxLength, rec.InitialValue = true, modalInputMax, csv
	tmpl := slack.NewPlainTextInputBlockElement(plain("Hi {first_name}, great to meet you at {event}!"), BlockTemplate)
	tmpl.Multiline, tmpl.MaxLength = true, min(h.cfg.MaxMessageLen, modalInputMax)
	blocks := []slack.Block{
		nameBlock,
		slack.NewInputBlock(BlockRecipients, plain("Recipients (CSV with a header row)"), plain("A profile_url column (or linkedin_url, url); every other column is a {placeholder}."), rec),
		slack.NewInputBlock(BlockTemplate, plain("Message template"), plain("{column} is replaced by that column's value on each row."), tmpl),
	}
	if len(accounts) > 1 {
		var options []*slack.OptionBlockObject
		for _, a := range accounts {
			options = append(options, slack.NewOptionBlockObject(a, plain(truncate(a, 75)), nil))
		}
		sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Account"), BlockAccount, options...)
		sel.InitialOption = options[0]
		blocks = append(blocks, slack.NewInputBlock(BlockAccount, plain("Send as"), plain("The LinkedIn account every message goes from."), sel))
	}
	md, _ := json.Marshal(meta)
	return slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: CampaignCallbackID, Title: plain("LinkedIn campaign"),
		Submit: plain("Review"), Close: plain("Cancel"), PrivateMetadata: string(md), Blocks: slack.Blocks{BlockSet: blocks},
	}
}

// campaignSubmit records a campaign in review from its form (nothing is
// sent before Start), answering what makes it invalid inline; the view
// ID keys it, so a form submitted twice records one campaign.
func (h *Handlers) campaignSubmit(ctx context.Context, cb slack.InteractionCallback) Response {
	if h.cfg.Campaigns == nil || cb.View.State == nil {
		return Response{}
	}
	v := cb.View.State.Values
	var meta campaignMeta
	_ = json.Unmarshal([]byte(cb.View.PrivateMetadata), &meta)
	channel := meta.Channel
	if channel == "" {
		channel = cb.User.ID
	}
	acct := h.cfg.DefaultAccount
	if h.cfg.Accounts != nil {
		choices, why := h.accounts(ctx, cb.User.ID)
		if why != "" {
			return Response{Ack: slack.NewErrorsViewSubmissionResponse(map[string]string{BlockRecipients: why})}
		}
		usable := accountNames(usableAccounts(choices))
		want := v[BlockAccount][BlockAccount].SelectedOption.Value
		switch {
		case want != "" && slices.Contains(usable, want):
			acct = want
		case want != "":
			return Response{Ack: slack.NewErrorsViewSubmissionResponse(map[string]string{BlockAccount: ":no_entry: You may no longer send from this account; choose another."})}
		case len(usable) > 0:
			acct = usable[0]
		}
	}
	// The ack waits for the record: within send.AcceptBudget, as a send's.
	cctx, cancel := context.WithTimeout(ctx, send.AcceptBudget)
	defer cancel()
	c, err := h.cfg.Campaigns.Create(cctx, campaign.Draft{
		Key: store.IdemKey("view", cb.View.ID), Name: strings.TrimSpace(v[BlockCampaignName][BlockCampaignName].Value), Owner: cb.User.ID,
		Account: acct, Channel: channel, CSV: v[BlockRecipients][BlockRecipients].Value, Template: v[BlockTemplate][BlockTemplate].Value,
	})
	var invalid campaign.Errors
	switch {
	case errors.As(err, &invalid):
		errs := map[string]string{}
		if invalid.Recipients != "" {
			errs[BlockRecipients] = truncate(invalid.Recipients, 2000)
		}
		if invalid.Template != "" {
			errs[BlockTemplate] = truncate(invalid.Template, 2000)
		}
		return Response{Ack: slack.NewErrorsViewSubmissionResponse(errs)}
	case errors.Is(err, store.ErrDuplicate):
		return Response{} // submitted twice: the first one's review is posted
	case err != nil:
		return Response{Ack: slack.NewErrorsViewSubmissionResponse(map[string]string{BlockRecipients: "The campaign could not be recorded, so nothing will be sent. Please try again; if it keeps failing, tell the bot's admin."}),
			After: func(_ context.Context, log zerolog.Logger) { log.Error().Err(err).Msg("recording a campaign failed") }}
	}
	return Response{After: func(ctx context.Context, log zerolog.Logger) {
		log.Info().Int64("campaign", c.ID).Str("account", acct).Msg("campaign recorded in review; nothing is sent before Start")
		if err := h.cfg.Campaigns.PostReview(ctx, c.ID); err != nil {
			log.Error().Err(err).Int64("campaign", c.ID).Msg("posting the campaign's review failed")
			h.reply(ctx, log, "", cb.User.ID, ":warning: Your campaign could not be posted or recorded, so nothing of it will be sent. Please create it again.")
		}
	}}
}

// campaignAction handles a campaign's button after the ack (Act edits the
// root, which may outlast Slack's 3 s): only its owner, or someone who
// may send from its account, may press one; anyone else is told
// privately, and nothing happens.
func (h *Handlers) campaignAction(cb slack.InteractionCallback) Response {
	a := cb.ActionCallback.BlockActions[0]
	id, err := strconv.ParseInt(a.Value, 10, 64)
	if err != nil || h.cfg.Campaigns == nil {
		return h.tellLater(cb.ResponseURL, cb.User.ID, ":warning: This campaign button is broken; nothing happened.")
	}
	return Response{After: func(ctx context.Context, log zerolog.Logger) {
		text, err := h.cfg.Campaigns.Act(ctx, id, cb.User.ID, a.ActionID)
		switch {
		case errors.Is(err, campaign.ErrNotYours):
			text = ":no_entry: Only the campaign's owner, or someone who may send from its LinkedIn account, may do this; nothing happened."
		case errors.Is(err, store.ErrNoCampaign):
			text = ":warning: The bot has no record of this campaign; nothing happened."
		case err != nil:
			log.Error().Err(err).Int64("campaign", id).Msg("a campaign button failed")
			text = ":warning: The bot could not do this; please try again."
		}
		if text != "" {
			h.reply(ctx, log, cb.ResponseURL, cb.User.ID, text)
		}
	}}
}

func accountNames(cs []account.Choice) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

// FileOpener downloads a Slack file with the bot token (*send.SlackFiles,
// through the wiring): the Slack given to New may do it too.
type FileOpener interface {
	OpenFile(ctx context.Context, url string) (io.ReadCloser, error)
}

// csvFile is the first .csv file of a message, if any.
func csvFile(files []slack.File) (slack.File, bool) {
	for _, f := range files {
		if f.ID == "" {
			continue
		}
		if strings.EqualFold(f.Filetype, "csv") || strings.HasSuffix(strings.ToLower(f.Name), ".csv") || strings.EqualFold(f.Mimetype, "text/csv") {
			return f, true
		}
	}
	return slack.File{}, false
}

// campaignShortcut opens the campaign form on a message that carries a
// .csv file, with the file's content as its recipients (downloaded as
// attachments are); a file larger than the form holds is refused, saying
// so.
func (h *Handlers) campaignShortcut(cb slack.InteractionCallback, f slack.File) Response {
	meta := campaignMeta{Channel: cb.Channel.ID}
	return Response{After: func(ctx context.Context, log zerolog.Logger) {
		name := fileLabel(f)
		tell := func(text string) { h.reply(ctx, log, cb.ResponseURL, cb.User.ID, text) }
		if f.Size > modalInputMax {
			tell(fmt.Sprintf(":warning: %s is %s; the campaign form holds %d characters of CSV. Paste fewer rows with `/linkedin-send campaign`, or split the file.", send.MrkdwnEscape(name), humanSize(int64(f.Size)), modalInputMax))
			return
		}
		opener, ok := h.slack.(FileOpener)
		url := f.URLPrivateDownload
		if url == "" {
			url = f.URLPrivate
		}
		if !ok || url == "" {
			tell(":warning: The bot cannot read " + send.MrkdwnEscape(name) + "; paste its rows with `/linkedin-send campaign`.")
			return
		}
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second) // the trigger lasts 3 s
		defer cancel()
		body, err := opener.OpenFile(dctx, url)
		var b []byte
		if err == nil {
			b, err = io.ReadAll(io.LimitReader(body, modalInputMax+1))
			_ = body.Close()
		}
		switch {
		case err != nil:
			log.Warn().Err(err).Str("file", f.ID).Msg("downloading a campaign's CSV failed")
			tell(":warning: The bot could not download " + send.MrkdwnEscape(name) + "; paste its rows with `/linkedin-send campaign`.")
			return
		case len(b) > modalInputMax:
			tell(fmt.Sprintf(":warning: %s is longer than the %d characters the campaign form holds. Paste fewer rows with `/linkedin-send campaign`, or split the file.", send.MrkdwnEscape(name), modalInputMax))
			return
		case !campaign.CSVText(b):
			tell(":warning: " + send.MrkdwnEscape(name) + " is not a text CSV file (UTF-8); export it again as CSV UTF-8.")
			return
		}
		choices, why := h.accounts(ctx, cb.User.ID)
		if why != "" {
			tell(why)
			return
		}
		h.openView(ctx, log, cb.TriggerID, h.campaignForm(meta, string(b), accountNames(usableAccounts(choices))), cb.ResponseURL, cb.User.ID)
	}}
}
