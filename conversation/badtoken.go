package conversation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"linkedin-bot/slackpost"
	"linkedin-bot/store"
)

// badTokenKey is the bridge value, per account, set once its owner was
// told that its stored token does not open: a restart or another replica
// does not tell again. It is cleared once the token opens again.
const badTokenKey = "bad_token_told"

// badTokenTold reports whether the owner of account name was told that
// its token does not open, from memory or, the first time, the store.
func (b *Bridge) badTokenTold(ctx context.Context, name string) (bool, error) {
	if told, ok := b.badToken[name]; ok {
		return told, nil
	}
	v, _, err := b.store.BridgeValue(ctx, badTokenKey+":"+name)
	if err != nil {
		return false, err
	}
	if b.badToken == nil {
		b.badToken = map[string]bool{}
	}
	b.badToken[name] = v != ""
	return v != "", nil
}

// tellBadToken says, once per account (not per poll, not per restart),
// that account name cannot be used as it is stored (why): its token does
// not open as its own (store.ErrTokenUnopenable: copied from another
// account's row, sealed under another key), or it was connected on Linkup
// v2 and this bot runs v1 (store.ErrNeedsV2). Its conversations (watched
// of them) are not read. The log gets an error; its owner (or whoever
// connected it; else the notification channel) a message with what to do.
// The token itself is never read or shown.
func (b *Bridge) tellBadToken(ctx context.Context, name string, watched int, why error) {
	log := b.log.With().Str("account", name).Logger()
	told, err := b.badTokenTold(ctx, name)
	if err != nil {
		log.Error().Err(err).Msg("reading whether an account's unusable token was told failed")
		return
	}
	if told {
		log.Debug().Msg("not reading an account that cannot be used as stored (told)")
		return
	}
	text := fmt.Sprintf(":warning: The stored LinkedIn token of the *%s* account does not open as this account's (it was copied from another account's row, sealed under another key, or damaged), so the bot does not use it: replies in its LinkedIn conversations are not read into Slack, and nothing is sent from it, until it is connected again.", slackpost.Escape(name))
	if errors.Is(why, store.ErrNeedsV2) {
		log.Error().Int("watched", watched).Msg("the account was connected on Linkup v2 (its account ID, no login token) and this bot runs v1: its conversations are not read until LINKUP_API_VERSION=v2 or it is connected again")
		text = fmt.Sprintf(":warning: The *%s* account was connected on Linkup v2, which gave it no v1 login token, and the bot now runs on Linkup v1 (`LINKUP_API_VERSION`): replies in its LinkedIn conversations are not read into Slack, and nothing is sent from it, until the bot runs on v2 again or the account is connected again.", slackpost.Escape(name))
	} else {
		log.Error().Int("watched", watched).Msg("the account's stored token does not open as its own (copied from another account's row, sealed under another key, or damaged): its conversations are not read until it is connected again")
	}
	tell, err := b.cfg.Sessions.Contact(ctx, name)
	if err != nil {
		log.Error().Err(err).Msg("finding who to tell about an account's unopenable token failed")
	}
	if tell != "" {
		if b.cfg.Reconnect != nil {
			text += " " + b.cfg.Reconnect(name)
		}
		ch, err := b.dms.Channel(ctx, b.slack, tell)
		if err == nil {
			_, _, err = b.slack.PostMessageContext(ctx, ch, slack.MsgOptionText(text, false))
		}
		if err != nil && !slackpost.Refused(err) {
			// Slack may not have it: tell at the next poll (at most one more).
			log.Error().Err(err).Msg("telling about an account's unopenable token failed; trying again at the next poll")
			return
		}
		if err != nil {
			log.Error().Err(err).Str("to", tell).Msg("Slack refused the notice of an account's unopenable token")
		}
	}
	if err := b.store.SetBridgeValue(ctx, badTokenKey+":"+name, b.now().UTC().Format(time.RFC3339)); err != nil {
		log.Error().Err(err).Msg("recording that an account's unopenable token was told failed")
	}
	b.badToken[name] = true
}

// tokenOpens clears account name's told flag once its token opens again
// (it was connected again), so that a later fault is told anew.
func (b *Bridge) tokenOpens(ctx context.Context, name string) {
	told, err := b.badTokenTold(ctx, name)
	if err != nil || !told {
		return
	}
	if err := b.store.SetBridgeValue(ctx, badTokenKey+":"+name, ""); err != nil {
		b.log.Error().Err(err).Str("account", name).Msg("clearing an account's unopenable-token notice failed")
		return
	}
	b.badToken[name] = false
	b.log.Info().Str("account", name).Msg("the account can be used again: its conversations are read")
}
