package handlers

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"linkedin-bot/account"
	"linkedin-bot/linkup"
	"linkedin-bot/send"
)

// Callback and block IDs of the Slack surface. The block IDs double as
// action IDs, and are the keys of inline errors on submit.
const (
	ModalCallbackID   = "linkedin_send_modal"
	GlobalShortcutID  = "linkedin_send"
	MessageShortcutID = "linkedin_send_message"

	BlockRecipient  = "recipient"
	BlockMessage    = "message"
	BlockAttachment = "attachment"
	BlockUpload     = "upload"
	BlockCountry    = "country"
	BlockMediaLink  = "media_link"
	BlockAccount    = "account"
)

// noAttachment is the attachment option that sends the text alone.
const noAttachment = "none"

// modalInputMax is Slack's cap on a plain_text_input's max_length.
const modalInputMax = 3000

// metadataMax is Slack's cap on private_metadata.
const metadataMax = 3000

// prefill is what the modal opens with.
type prefill struct {
	Recipient string
	Message   string
	// Files are the message's files LinkedIn takes, offered in the attachment select.
	Files []send.File
	// Skipped says, one line per file, why a message's file cannot be sent.
	Skipped []string
	// Upload offers a file input (the slash command and global shortcut modals).
	Upload bool
	// Accounts the user may send from, best first: more than one adds a
	// "Send as" select.
	Accounts []account.Choice
}

// modalMeta travels in the modal's private_metadata: where the outcome goes
// and the files on offer.
type modalMeta struct {
	// Channel is the origin channel; empty for a global shortcut (a DM then).
	Channel string `json:"c,omitempty"`
	// ResponseURL is the slash command's or shortcut's, for channels the bot cannot post in.
	ResponseURL string `json:"r,omitempty"`
	// ThreadTS is the thread of the message a shortcut was used on.
	ThreadTS string `json:"t,omitempty"`
	// Files are the attachments on offer.
	Files []send.File `json:"f,omitempty"`
	// Recipient, when set, is fixed (a reply to a mirrored conversation):
	// the modal shows it, with Name, instead of asking for it.
	Recipient string `json:"p,omitempty"`
	Name      string `json:"n,omitempty"`
	// Account is the conversation's account, which a reply goes from.
	Account string `json:"a,omitempty"`
}

func (h *Handlers) modal(p prefill, meta modalMeta) slack.ModalViewRequest {
	// Keep the metadata within Slack's limit: drop offered files from the end.
	md, _ := json.Marshal(meta)
	for len(md) > metadataMax && len(meta.Files) > 0 {
		dropped := meta.Files[len(meta.Files)-1]
		meta.Files = meta.Files[:len(meta.Files)-1]
		p.Files = p.Files[:len(meta.Files)]
		p.Skipped = append(p.Skipped, fmt.Sprintf("%s: too many files on one message", dropped.Name))
		md, _ = json.Marshal(meta)
	}

	recipient := slack.NewPlainTextInputBlockElement(plain("https://www.linkedin.com/in/…"), BlockRecipient)
	recipient.InitialValue = p.Recipient

	msg := slack.NewPlainTextInputBlockElement(plain("Hi Jane, great to meet you!"), BlockMessage)
	msg.Multiline = true
	msg.MaxLength = min(h.cfg.MaxMessageLen, modalInputMax)
	msg.InitialValue = truncate(p.Message, msg.MaxLength) // Slack refuses a longer initial value

	blocks := []slack.Block{
		slack.NewInputBlock(BlockRecipient, plain("Recipient's LinkedIn profile"), nil, recipient),
		slack.NewInputBlock(BlockMessage, plain("Message"), nil, msg),
	}
	if n := utf8.RuneCountInString(p.Message); n > msg.MaxLength {
		blocks = append(blocks, slack.NewContextBlock("cut", slack.NewTextBlockObject(slack.MarkdownType, cutNotice(n, msg.MaxLength, h.cfg.MaxMessageLen), false, false)))
	}
	title := "Send on LinkedIn"
	if meta.Recipient != "" {
		title = "Reply on LinkedIn"
		to := "To " + send.MrkdwnEscape(orDefault(meta.Name, "this conversation"))
		if !strings.ContainsAny(meta.Recipient, "<>|") {
			to += " (<" + meta.Recipient + "|profile>)"
		}
		blocks[0] = slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, truncate(to+". The outcome is posted in the conversation's thread.", 3000), false, false), nil, nil)
		blocks[0].(*slack.SectionBlock).BlockID = BlockRecipient
	}

	if len(p.Files) > 0 {
		none := slack.NewOptionBlockObject(noAttachment, plain("No attachment: send the text alone"), nil)
		options := []*slack.OptionBlockObject{}
		for _, f := range p.Files {
			options = append(options, slack.NewOptionBlockObject(f.ID, plain(truncate(fmt.Sprintf("%s (%s)", f.Name, humanSize(f.Size)), 75)), nil))
		}
		sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Attachment"), BlockAttachment, append(options, none)...)
		sel.InitialOption = options[0]
		blocks = append(blocks, slack.NewInputBlock(BlockAttachment, plain("Attachment"), plain("Sent as a LinkedIn attachment (2 credits instead of 1)."), sel))
	}
	if len(p.Skipped) > 0 {
		blocks = append(blocks, slack.NewContextBlock("skipped", slack.NewTextBlockObject(slack.MarkdownType,
			truncate(":paperclip: Cannot be attached: "+send.MrkdwnEscape(strings.Join(p.Skipped, "; "))+". LinkedIn takes PNG, JPG, MP4 and PDF files up to "+humanSize(h.cfg.MaxMediaBytes)+".", 3000), false, false)))
	}
	if usable := usableAccounts(p.Accounts); len(usable) > 1 {
		var options []*slack.OptionBlockObject
		for _, c := range usable {
			label := c.Name
			switch c.Kind {
			case "own":
				label += " (yours)"
			case "shared":
				label += " (shared)"
			case "default":
				label += " (the team's default)"
			}
			options = append(options, slack.NewOptionBlockObject(c.Name, plain(truncate(label, 75)), nil))
		}
		sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Account"), BlockAccount, options...)
		sel.InitialOption = options[0]
		blocks = append(blocks, slack.NewInputBlock(BlockAccount, plain("Send as"), plain("The LinkedIn account the message goes from."), sel))
	}
	if p.Upload {
		up := slack.NewFileInputBlockElement(BlockUpload).WithFileTypes("png", "jpg", "jpeg", "mp4", "pdf").WithMaxFiles(1)
		upBlock := slack.NewInputBlock(BlockUpload, plain("Attachment"), plain("Optional: a PNG, JPG, MP4 or PDF file up to "+humanSize(h.cfg.MaxMediaBytes)+" (2 credits instead of 1)."), up)
		upBlock.Optional = true
		blocks = append(blocks, upBlock)
	}

	if meta.Recipient != "" {
		// A reply: the recipient, the message and a file; the rest is the bot's default.
		return h.view(title, md, blocks)
	}
	blocks = append(blocks, h.countryBlock("The country the LinkedIn session was opened from."))

	mediaHint := "Optional: a public link to a .png, .jpg, .mp4 or .pdf file (2 credits instead of 1)."
	if len(p.Files) > 0 || p.Upload {
		mediaHint += " A link wins over the attached file, as at Linkup."
	}
	media := slack.NewPlainTextInputBlockElement(plain("https://example.com/brochure.pdf"), BlockMediaLink)
	mediaBlock := slack.NewInputBlock(BlockMediaLink, plain("Attachment link"), plain(mediaHint), media)
	mediaBlock.Optional = true
	blocks = append(blocks, mediaBlock)

	return h.view(title, md, blocks)
}

// countryBlock asks for a proxy country, the bot's default chosen.
func (h *Handlers) countryBlock(hint string) *slack.InputBlock {
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
	return slack.NewInputBlock(BlockCountry, plain("Proxy country"), plain(hint), country)
}

func (h *Handlers) view(title string, md []byte, blocks []slack.Block) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      ModalCallbackID,
		Title:           plain(title),
		Submit:          plain("Send"),
		Close:           plain("Cancel"),
		PrivateMetadata: string(md),
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// submission reads a submitted modal. It returns the message to send, the
// file to attach, where to answer, or inline errors keyed by block_id.
func (h *Handlers) submission(view slack.View) (linkup.Message, *send.File, modalMeta, map[string]string) {
	var meta modalMeta
	_ = json.Unmarshal([]byte(view.PrivateMetadata), &meta) // a bad one answers as a DM

	errs := map[string]string{}
	if view.State == nil || len(view.State.Values) == 0 {
		// Slack sent no state (seen on real payloads): nothing to read, and
		// an empty ack would close the form with nothing said.
		errs[BlockMessage] = "Slack did not pass on what was typed in this form, so nothing was sent. Please type the message again and press Send."
		return linkup.Message{}, nil, meta, errs
	}
	action := func(block string) slack.BlockAction {
		return view.State.Values[block][block]
	}
	value := func(block string) string {
		a := action(block)
		if a.SelectedOption.Value != "" {
			return a.SelectedOption.Value
		}
		return a.Value
	}

	var m linkup.Message
	var err error
	recipient := value(BlockRecipient)
	if meta.Recipient != "" {
		recipient = meta.Recipient // a reply: fixed, whatever the state says
	}
	if m.ProfileURL, err = ParseProfile(recipient); err != nil {
		if meta.Recipient != "" {
			// The recipient is shown, not an input: the error goes on the message.
			errs[BlockMessage] = "This conversation's recipient cannot be messaged: " + err.Error()
		} else {
			errs[BlockRecipient] = err.Error()
		}
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
		return m, nil, meta, errs // the link wins over any file
	}

	var file *send.File
	if up := action(BlockUpload).Files; len(up) > 0 {
		f, reason := h.attachable(up[0])
		switch {
		case reason != "":
			errs[BlockUpload] = "This file cannot be attached: " + reason + "."
		case f.URL == "":
			errs[BlockUpload] = "Slack did not share this file with the bot; please upload it again."
		default:
			file = &f
		}
	} else if id := value(BlockAttachment); id != "" && id != noAttachment {
		for i := range meta.Files {
			if meta.Files[i].ID == id {
				file = &meta.Files[i]
			}
		}
		if file == nil {
			errs[BlockAttachment] = "This file is no longer on offer; choose again."
		}
	}
	return m, file, meta, errs
}

// attachable checks a Slack file against what Linkup takes. It returns the
// file as the pipeline needs it, or why it cannot be sent.
func (h *Handlers) attachable(f slack.File) (send.File, string) {
	mime := linkup.MediaTypes[strings.ToLower(f.Filetype)]
	if mime == "" {
		for _, t := range linkup.MediaTypes {
			if strings.EqualFold(f.Mimetype, t) {
				mime = t
			}
		}
	}
	name := fileLabel(f)
	switch {
	case mime == "":
		return send.File{}, fmt.Sprintf("%s: %s cannot be sent (PNG, JPG, MP4 and PDF can)", name, fileKind(f))
	case int64(f.Size) > h.cfg.MaxMediaBytes:
		return send.File{}, fmt.Sprintf("%s: it is %s, over the %s limit", name, humanSize(int64(f.Size)), humanSize(h.cfg.MaxMediaBytes))
	case f.Size <= 0:
		return send.File{}, fmt.Sprintf("%s: it is empty", name)
	}
	url := f.URLPrivateDownload
	if url == "" {
		url = f.URLPrivate
	}
	return send.File{ID: f.ID, Name: name, MIME: mime, Size: int64(f.Size), URL: url}, ""
}

// usableAccounts are the choices whose session has not expired.
func usableAccounts(cs []account.Choice) []account.Choice {
	var out []account.Choice
	for _, c := range cs {
		if !c.Expired {
			out = append(out, c)
		}
	}
	return out
}

// cutNotice tells that a prefill was cut to the form's limit, and how to
// send the whole text.
func cutNotice(n, kept, maxLen int) string {
	text := fmt.Sprintf(":scissors: The message is %s characters; this form holds %s, so the last %s were cut.", thousands(n), thousands(kept), thousands(n-kept))
	if n <= maxLen {
		return text + fmt.Sprintf(" To send all of it, use `/linkedin-send <profile URL> <message>` (up to %s characters).", thousands(maxLen))
	}
	return text + fmt.Sprintf(" A LinkedIn message from this bot holds at most %s characters (MAX_MESSAGE_LENGTH): shorten it, or send it in parts.", thousands(maxLen))
}

// thousands writes n with a comma every three digits.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// fileLabel names a file for people: its name, its title, or its ID.
func fileLabel(f slack.File) string {
	for _, n := range []string{f.Name, f.Title, f.ID} {
		if n != "" {
			return n
		}
	}
	return "a file"
}

// fileKind says what type a file is, from its own extension or MIME type
// (not Slack's pretty_type, which is in the workspace's language).
func fileKind(f slack.File) string {
	if ext := strings.TrimPrefix(path.Ext(f.Name), "."); ext != "" && len(ext) <= 8 {
		return "." + strings.ToLower(ext) + " files"
	}
	if f.Filetype != "" && len(f.Filetype) <= 16 {
		return strings.ToLower(f.Filetype) + " files"
	}
	if f.Mimetype != "" {
		return f.Mimetype + " files"
	}
	return "files of this type"
}

// humanSize writes a byte count for people.
func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/(1<<20)), ".0") + " MiB"
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
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
