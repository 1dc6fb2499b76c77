package handlers

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"linkedin-bot/linkup"
)

// Callback and block IDs of the Slack surface. The block IDs double as
// action IDs, and are the keys of inline errors on submit.
const (
	ModalCallbackID   = "linkedin_send_modal"
	GlobalShortcutID  = "linkedin_send"
	MessageShortcutID = "linkedin_send_message"

	BlockRecipient = "recipient"
	BlockMessage   = "message"
	BlockCountry   = "country"
	BlockMediaLink = "media_link"
)

// modalInputMax is Slack's cap on a plain_text_input's max_length.
const modalInputMax = 3000

// prefill is what the modal opens with.
type prefill struct {
	Recipient string
	Message   string
}

// modalMeta travels in the modal's private_metadata: where the outcome goes.
type modalMeta struct {
	// Channel is the origin channel; empty for a global shortcut (a DM then).
	Channel string `json:"c,omitempty"`
	// ResponseURL is the slash command's, for channels the bot cannot post in.
	ResponseURL string `json:"r,omitempty"`
}

func (h *Handlers) modal(p prefill, meta modalMeta) slack.ModalViewRequest {
	md, _ := json.Marshal(meta) // two strings: cannot fail

	recipient := slack.NewPlainTextInputBlockElement(plain("https://www.linkedin.com/in/…"), BlockRecipient)
	recipient.InitialValue = p.Recipient

	msg := slack.NewPlainTextInputBlockElement(plain("Hi Jane, great to meet you!"), BlockMessage)
	msg.Multiline = true
	msg.MaxLength = min(h.cfg.MaxMessageLen, modalInputMax)
	msg.InitialValue = truncate(p.Message, msg.MaxLength) // Slack refuses a longer initial value

	var options []*slack.OptionBlockObject
	var initial *slack.OptionBlockObject
	for _, c := range linkup.Countries {
		o := slack.NewOptionBlockObject(c, plain(c), nil)
		options = append(options, o)
		if c == h.cfg.Country {
			initial = o
		}
	}
	country := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Country"), BlockCountry, options...)
	country.InitialOption = initial

	media := slack.NewPlainTextInputBlockElement(plain("https://example.com/brochure.pdf"), BlockMediaLink)
	mediaBlock := slack.NewInputBlock(BlockMediaLink, plain("Attachment link"), plain("Optional: a public link to a .png, .jpg, .mp4 or .pdf file (2 credits instead of 1)."), media)
	mediaBlock.Optional = true

	countryBlock := slack.NewInputBlock(BlockCountry, plain("Proxy country"), plain("The country the LinkedIn session was opened from."), country)

	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      ModalCallbackID,
		Title:           plain("Send on LinkedIn"),
		Submit:          plain("Send"),
		Close:           plain("Cancel"),
		PrivateMetadata: string(md),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock(BlockRecipient, plain("Recipient's LinkedIn profile"), nil, recipient),
			slack.NewInputBlock(BlockMessage, plain("Message"), nil, msg),
			countryBlock,
			mediaBlock,
		}},
	}
}

// submission reads a submitted modal. It returns the message to send and
// where to answer, or inline errors keyed by block_id.
func (h *Handlers) submission(view slack.View) (linkup.Message, modalMeta, map[string]string) {
	var meta modalMeta
	_ = json.Unmarshal([]byte(view.PrivateMetadata), &meta) // a bad one answers as a DM

	errs := map[string]string{}
	value := func(block string) string {
		a, ok := view.State.Values[block][block]
		if !ok {
			return ""
		}
		if a.SelectedOption.Value != "" {
			return a.SelectedOption.Value
		}
		return a.Value
	}

	var m linkup.Message
	var err error
	if m.ProfileURL, err = ParseProfile(value(BlockRecipient)); err != nil {
		errs[BlockRecipient] = err.Error()
	}
	if m.Text, err = ParseMessage(value(BlockMessage), h.cfg.MaxMessageLen); err != nil {
		errs[BlockMessage] = err.Error()
	}
	m.Country = h.cfg.Country
	if c := value(BlockCountry); c != "" {
		if m.Country, err = linkup.Country(c); err != nil {
			errs[BlockCountry] = "Choose one of " + strings.Join(linkup.Countries, ", ") + "."
		}
	}
	if l := strings.TrimSpace(value(BlockMediaLink)); l != "" {
		if m.MediaLink, err = linkup.MediaLink(l); err != nil {
			errs[BlockMediaLink] = "This link cannot be attached: " + err.Error() + "."
		}
	}
	return m, meta, errs
}

// truncate cuts s to at most n characters.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}
