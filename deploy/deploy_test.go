// Package deploy holds no code: its test checks the files of deploy/
// (the Kubernetes manifests, the Prometheus alerts, the Grafana dashboard)
// against the bot they deploy.
package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"linkedin-bot/bot"
	"linkedin-bot/metrics"
)

// object is a Kubernetes object, decoded loosely.
type object map[string]any

func (o object) kind() string { s, _ := o["kind"].(string); return s }

// at walks o by keys (strings) and indexes (ints).
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			switch m := v.(type) {
			case object:
				v = m[k]
			case map[string]any:
				v = m[k]
			default:
				return nil
			}
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// manifests decodes every YAML document of every file in dir.
func manifests(t *testing.T, dir string) []object {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var out []object
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for {
			var o object
			err := dec.Decode(&o)
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err, f)
			if o != nil {
				out = append(out, o)
			}
		}
	}
	return out
}

func only(t *testing.T, objs []object, kind string) object {
	t.Helper()
	var found []object
	for _, o := range objs {
		if o.kind() == kind {
			found = append(found, o)
		}
	}
	require.Len(t, found, 1, "one %s", kind)
	return found[0]
}

// TestKubernetesManifests parses every manifest and checks the Deployment
// against the bot: two replicas on DATABASE_URL from a Secret, probes on
// the bot's paths and METRICS_ADDR's port, a grace period longer than
// SHUTDOWN_TIMEOUT, non-root with a read-only root filesystem, requests
// and limits; a PodDisruptionBudget and a Service for scraping.
func TestKubernetesManifests(t *testing.T) {
	objs := manifests(t, "kubernetes")
	d := only(t, objs, "Deployment")
	assert.Equal(t, 2, at(d, "spec", "replicas"))
	pod := at(d, "spec", "template", "spec")
	c := at(pod, "containers", 0)
	require.NotNil(t, c)

	// The settings as the bot reads them: the manifest's values, and a
	// well-formed stand-in for each one from the Secret.
	env := map[string]string{}
	fromSecret := map[string]bool{}
	for _, e := range at(c, "env").([]any) {
		name := at(e, "name").(string)
		if v, ok := at(e, "value").(string); ok {
			env[name] = v
		} else if at(e, "valueFrom", "secretKeyRef", "name") != nil {
			fromSecret[name] = true
		}
	}
	assert.True(t, fromSecret["DATABASE_URL"], "DATABASE_URL comes from a Secret")
	for _, secret := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "LINKUP_API_KEY", "ACCOUNTS_KEY", "DATABASE_URL"} {
		assert.NotContains(t, env, secret, "a secret in the clear")
	}
	standIn := map[string]string{"SLACK_APP_TOKEN": "xapp-1", "SLACK_BOT_TOKEN": "xoxb-1", "LINKUP_API_KEY": "k",
		"DATABASE_URL": "postgres://u@h/db", "ACCOUNTS_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}
	cfg, err := bot.LoadConfig(func(k string) string {
		if fromSecret[k] {
			return standIn[k]
		}
		return env[k]
	})
	require.NoError(t, err, "the manifest's settings, as the bot reads them")
	require.NotEmpty(t, cfg.MetricsAddr, "METRICS_ADDR is set: the probes need it")

	_, port, err := net.SplitHostPort(cfg.MetricsAddr)
	require.NoError(t, err)
	var portName string
	for _, p := range at(c, "ports").([]any) {
		if port == itoa(at(p, "containerPort")) {
			portName, _ = at(p, "name").(string)
		}
	}
	require.NotEmpty(t, portName, "a container port is METRICS_ADDR's (%s)", cfg.MetricsAddr)
	probes := map[string]string{"livenessProbe": metrics.HealthPath, "readinessProbe": metrics.ReadyPath, "startupProbe": metrics.HealthPath}
	for probe, path := range probes {
		assert.Equal(t, path, at(c, probe, "httpGet", "path"), probe)
		assert.Contains(t, []string{portName, port}, itoa(at(c, probe, "httpGet", "port")), probe)
	}

	grace, ok := at(pod, "terminationGracePeriodSeconds").(int)
	require.True(t, ok, "terminationGracePeriodSeconds is set")
	assert.Greater(t, time.Duration(grace)*time.Second, cfg.ShutdownTimeout+5*time.Second,
		"the grace period outlasts SHUTDOWN_TIMEOUT (%s), with room for the handover", cfg.ShutdownTimeout)

	assert.Equal(t, true, at(pod, "securityContext", "runAsNonRoot"))
	assert.NotEqual(t, 0, at(pod, "securityContext", "runAsUser"))
	assert.Equal(t, true, at(c, "securityContext", "readOnlyRootFilesystem"))
	assert.Equal(t, false, at(c, "securityContext", "allowPrivilegeEscalation"))
	for _, kind := range []string{"requests", "limits"} {
		for _, res := range []string{"cpu", "memory"} {
			assert.NotNil(t, at(c, "resources", kind, res), "resources.%s.%s", kind, res)
		}
	}

	labels := at(d, "spec", "selector", "matchLabels")
	pdb := only(t, objs, "PodDisruptionBudget")
	assert.Equal(t, labels, at(pdb, "spec", "selector", "matchLabels"))
	assert.Equal(t, 1, at(pdb, "spec", "minAvailable"), "one bot stays up, of two")
	svc := only(t, objs, "Service")
	assert.Equal(t, labels, at(svc, "spec", "selector"))
	assert.Equal(t, portName, at(svc, "spec", "ports", 0, "targetPort"))

	secret := only(t, objs, "Secret")
	for name := range fromSecret {
		assert.Contains(t, at(secret, "stringData"), name, "the example Secret has each key the Deployment reads")
	}
	kust := only(t, objs, "Kustomization")
	assert.NotContains(t, at(kust, "resources"), "secret.example.yaml", "the example is not applied")
}

func itoa(v any) string {
	switch n := v.(type) {
	case int:
		return strconv.Itoa(n)
	case string:
		return n
	}
	return ""
}

// metricNames are the names /metrics may show: the bot's own (a
// histogram's with _bucket, _sum and _count) and Go's and the process's.
func metricNames(t *testing.T) map[string]bool {
	t.Helper()
	m := metrics.New(metrics.Config{})
	names := map[string]bool{}
	for _, n := range m.Names() {
		for _, suffix := range []string{"", "_bucket", "_sum", "_count"} {
			names[n+suffix] = true
		}
	}
	families, err := m.Registry().Gather()
	require.NoError(t, err)
	for _, f := range families {
		for _, suffix := range []string{"", "_bucket", "_sum", "_count"} {
			names[f.GetName()+suffix] = true
		}
	}
	return names
}

// series finds the metric names an expression uses.
var series = regexp.MustCompile(`\b(linkedin_bot_[a-z_]+|go_[a-z_]+|process_[a-z_]+)\b`)

func checkNames(t *testing.T, where, expr string, names map[string]bool) int {
	t.Helper()
	found := series.FindAllString(expr, -1)
	for _, n := range found {
		assert.True(t, names[n], "%s: %s is no metric of the bot (%s)", where, n, expr)
	}
	return len(found)
}

// TestAlertsUseTheBotsMetrics parses the alert rules and checks that each
// alert the operations guide lists is there, and that every metric an
// expression names exists.
func TestAlertsUseTheBotsMetrics(t *testing.T) {
	raw, err := os.ReadFile("alerts.yaml")
	require.NoError(t, err)
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&rules))
	names := metricNames(t)
	var alerts []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
			assert.Positive(t, checkNames(t, r.Alert, r.Expr, names), "%s names a metric", r.Alert)
			assert.NotEmpty(t, r.Labels["severity"], r.Alert)
			assert.NotEmpty(t, r.Annotations["summary"], r.Alert)
			if r.For != "" {
				_, err := time.ParseDuration(r.For)
				assert.NoError(t, err, r.Alert)
			}
		}
	}
	for _, want := range []string{"LinkedinBotNoReplicaReady", "LinkedinBotSendsStuckInQueue", "LinkedinBotUnknownOutcomesRising",
		"LinkedinBotReadCreditsNearlySpent", "LinkedinBotAccountExpired", "LinkedinBotBridgeLagHigh"} {
		assert.Contains(t, alerts, want)
	}
	guide, err := os.ReadFile(filepath.Join("..", "docs", "operations.md"))
	require.NoError(t, err)
	for _, a := range alerts {
		if !strings.Contains(string(guide), a) {
			t.Errorf("docs/operations.md does not explain the alert %s", a)
		}
	}
}

// TestDashboardUsesTheBotsMetrics parses the Grafana dashboard and checks
// every panel's queries name metrics that exist, and that it shows what
// the operations guide says it shows.
func TestDashboardUsesTheBotsMetrics(t *testing.T) {
	raw, err := os.ReadFile("grafana-dashboard.json")
	require.NoError(t, err)
	var d struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(raw, &d))
	names := metricNames(t)
	var titles []string
	for _, p := range d.Panels {
		titles = append(titles, p.Title)
		require.NotEmpty(t, p.Targets, p.Title)
		for _, q := range p.Targets {
			assert.Positive(t, checkNames(t, p.Title, q.Expr, names), "%s: %s names a metric", p.Title, q.Expr)
		}
	}
	for _, want := range []string{"Sends by state", "Credits per day against the caps", "Ack latency", "Linkup latency", "Bridge lag", "Queue depth", "Expired accounts"} {
		assert.True(t, slices.Contains(titles, want), "a panel %q", want)
	}
}

// TestContainersCheckHealth: the image's HEALTHCHECK and Compose's run
// linkedin-bot health, and Compose sets the METRICS_ADDR it asks.
func TestContainersCheckHealth(t *testing.T) {
	dockerfile, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	require.NoError(t, err)
	assert.Regexp(t, `(?m)^HEALTHCHECK .*CMD \["/linkedin-bot", "health"\]$`, string(dockerfile))
	raw, err := os.ReadFile(filepath.Join("..", "docker-compose.yml"))
	require.NoError(t, err)
	var compose object
	require.NoError(t, yaml.Unmarshal(raw, &compose))
	assert.Equal(t, []any{"CMD", "/linkedin-bot", "health"}, at(compose, "services", "bot", "healthcheck", "test"))
	addr, _ := at(compose, "services", "bot", "environment", "METRICS_ADDR").(string)
	_, err = bot.MetricsAddrAt(func(string) string { return addr })
	assert.NoError(t, err)
	assert.NotEmpty(t, addr)
}
