package main

import (
	"context"
	"io"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"linkedin-bot/account"
	"linkedin-bot/bot"
	"linkedin-bot/campaign"
	"linkedin-bot/handlers"
	"linkedin-bot/send"
	"linkedin-bot/store"
)

// newCampaigns is the campaigns' service (issue 27): rows go through pipe,
// the buttons are checked against accounts, the Home tabs told.
func newCampaigns(cfg bot.Config, st *store.Store, pipe *send.Pipeline, api *slack.Client, accounts *account.Service, home *handlers.Home, log zerolog.Logger) *campaign.Service {
	return campaign.New(campaign.Config{
		Pace:     campaign.Pace{GapMin: cfg.CampaignGapMin, GapMax: cfg.CampaignGapMax, Hours: cfg.CampaignHours, DailyLimit: cfg.DailySendLimit},
		Limits:   campaign.Limits{MaxRows: cfg.CampaignMaxRows, MaxMessageLen: cfg.MaxMessageLen, RecontactDays: cfg.CampaignRecontactDays},
		Country:  cfg.LinkupCountry,
		Accounts: accounts,
		Changed:  home.Changed,
		// The gaps are written by one bot and judged by whichever holds
		// the campaigns' job next: one clock, the database's.
		Now: st.Clock,
	}, st, pipe, api, log)
}

// OpenFile downloads a Slack file (a campaign's CSV) with the bot token.
func (s slackAPI) OpenFile(ctx context.Context, url string) (io.ReadCloser, error) {
	return s.files.Open(ctx, url)
}
