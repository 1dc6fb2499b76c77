package fakelinkup

import "slices"

// Mailbox is one LinkedIn conversation of the fake as a test inspects it:
// whose mailbox it is in, its ID, its other side and every message,
// oldest first.
type Mailbox struct {
	// Token is the login token of the mailbox (an AddLogin token), ""
	// for the default one.
	Token    string
	ID       string // short form
	With     Person
	Messages []Msg
}

// Mailboxes returns every conversation of every mailbox, by ID.
func (s *Server) Mailboxes() []Mailbox {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Mailbox, 0, len(s.convs))
	for _, c := range s.convs {
		out = append(out, Mailbox{Token: c.box, ID: c.id, With: c.with, Messages: slices.Clone(c.messages)})
	}
	slices.SortFunc(out, func(a, b Mailbox) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out
}

// MailboxOf is the mailbox a login token's sends and reads go to: its own
// for an AddLogin token, "" (the default one) for any other.
func (s *Server) MailboxOf(token string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.box(token)
}
