package linkup

import (
	"context"
	"fmt"
	"io"
)

// DryRun stands in for the Client when LINKUP_DRY_RUN is on: it reads the
// message as a send would (an attachment to its last byte, so that the
// download from Slack is tried too) and sends nothing. Linkup is never
// called, and nothing is charged.
type DryRun struct{}

// DryRunAnswer is the Result.Message of a dry run.
const DryRunAnswer = "dry run: not sent"

// SendMessage checks m and returns without calling Linkup.
func (DryRun) SendMessage(ctx context.Context, m Message) (Result, error) {
	if md := m.media(); md != nil {
		if !knownMIME(md.MIME) || md.Size <= 0 || md.Body == nil {
			return Result{}, &Error{Kind: KindMedia, Message: fmt.Sprintf("the attachment (%q, %d bytes) cannot be sent", md.MIME, md.Size)}
		}
		n, err := io.Copy(io.Discard, md.Body)
		switch {
		case err != nil:
			return Result{}, &Error{Kind: KindMedia, Message: "the attachment could not be read", Err: err}
		case n != md.Size:
			return Result{}, &Error{Kind: KindMedia, Message: fmt.Sprintf("the attachment is %d bytes, not the %d Slack declared", n, md.Size)}
		}
	}
	if err := ctx.Err(); err != nil {
		return Result{}, &Error{Kind: KindUnreachable, Message: "cancelled", Err: err}
	}
	return Result{Message: DryRunAnswer}, nil
}
