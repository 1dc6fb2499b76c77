package handlers

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"linkedin-bot/campaign"
	"linkedin-bot/send"
	"linkedin-bot/store"
)

// campaignDesk is what Home reads of a person's campaigns; *store.Store
// does it (a Desk without it shows none).
type campaignDesk interface {
	Campaigns(ctx context.Context, owner string, states ...store.CampaignState) ([]store.Campaign, error)
	CampaignRows(ctx context.Context, id int64) ([]store.CampaignRow, error)
}

// homeCampaigns is the maximum of campaigns Home lists.
const homeCampaigns = 5

// campaignBlocks are user's campaigns in progress (in review, running,
// paused), with their progress and buttons; none when they have none.
func (h *Handlers) campaignBlocks(ctx context.Context, log zerolog.Logger, user string) []slack.Block {
	cd, ok := h.cfg.Home.desk.(campaignDesk)
	if !ok || h.cfg.Campaigns == nil {
		return nil
	}
	cs, err := cd.Campaigns(ctx, user, store.CampaignReview, store.CampaignRunning, store.CampaignPaused)
	if err != nil {
		log.Error().Err(err).Msg("reading a person's campaigns for Home failed")
		return []slack.Block{slack.NewDividerBlock(), slack.NewHeaderBlock(plain("Your campaigns")),
			md(":warning: The bot could not read the campaigns just now; this tab is refreshed at the next change.")}
	}
	if len(cs) == 0 {
		return nil
	}
	if len(cs) > homeCampaigns {
		cs = cs[len(cs)-homeCampaigns:]
	}
	blocks := []slack.Block{slack.NewDividerBlock(), slack.NewHeaderBlock(plain("Your campaigns in progress"))}
	for _, c := range cs {
		rows, err := cd.CampaignRows(ctx, c.ID)
		if err != nil {
			log.Error().Err(err).Int64("campaign", c.ID).Msg("reading a campaign's rows for Home failed")
			continue
		}
		line := fmt.Sprintf("*%s* · %s · from *%s*\n%s", send.MrkdwnEscape(c.Name), c.State, send.MrkdwnEscape(c.Account),
			campaign.Line(campaign.Count(rows), time.Time{}, time.Time{}, time.UTC))
		if link := h.cfg.Home.link(ctx, c.RootChannel, c.RootTS); link != "" {
			line += " · <" + link + "|thread>"
		}
		blocks = append(blocks, slack.NewSectionBlock(verbatim(truncate(line, 3000)), nil, nil))
		id := strconv.FormatInt(c.ID, 10)
		var buttons []slack.BlockElement
		add := func(action, label string, style slack.Style) {
			buttons = append(buttons, slack.NewButtonBlockElement(action, id, plain(label)).WithStyle(style))
		}
		switch c.State {
		case store.CampaignReview:
			add(campaign.StartActionID, "Start", slack.StylePrimary)
		case store.CampaignRunning:
			add(campaign.PauseActionID, "Pause", slack.StyleDefault)
		case store.CampaignPaused:
			add(campaign.ResumeActionID, "Resume", slack.StylePrimary)
		}
		add(campaign.CancelActionID, "Cancel", slack.StyleDanger)
		blocks = append(blocks, slack.NewActionBlock("home_campaign_"+id, buttons...))
	}
	return blocks
}
