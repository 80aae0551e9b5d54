package progress

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// script is a short deploy as the Deployer reports it.
func script() []deploy.Event {
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	return []deploy.Event{
		deploy.PlanReady{Plan: deploy.Plan{Stack: "demo", ChangeSetType: "UPDATE", Changes: []deploy.Change{
			{Action: "Add", LogicalID: "Logs", ResourceType: "AWS::Logs::LogGroup"},
			{Action: "Modify", LogicalID: "LoadBalancer", ResourceType: "AWS::ElasticLoadBalancingV2::LoadBalancer",
				Replacement: "True", ReplacementCauses: []string{"Scheme", "Type"}},
			{Action: "Modify", LogicalID: "Service", ResourceType: "AWS::ECS::Service", Replacement: "False"},
			{Action: "Remove", LogicalID: "OldBucket", ResourceType: "AWS::S3::Bucket"},
		}}},
		deploy.Note{Time: at(0), Stack: "demo", Text: "Executing change set: update of stack demo started"},
		deploy.WaitStarted{Time: at(0), Stack: "demo", Operation: "update"},
		deploy.ResourceEvent{ID: "1", Time: at(1), LogicalID: "demo", ResourceType: "AWS::CloudFormation::Stack", Status: "UPDATE_IN_PROGRESS", Reason: "User Initiated", StackLevel: true},
		deploy.ResourceEvent{ID: "2", Time: at(2), LogicalID: "Logs", ResourceType: "AWS::Logs::LogGroup", Status: "CREATE_IN_PROGRESS"},
		deploy.Polled{Time: at(3), Started: at(0), StackStatus: "UPDATE_IN_PROGRESS"},
		deploy.ResourceEvent{ID: "3", Time: at(4), LogicalID: "Logs", ResourceType: "AWS::Logs::LogGroup", Status: "CREATE_COMPLETE"},
		deploy.ResourceEvent{ID: "4", Time: at(5), LogicalID: "Service", ResourceType: "AWS::ECS::Service", Status: "UPDATE_FAILED", Reason: "Circuit Breaker was triggered"},
		deploy.Polled{Time: at(6), Started: at(0), StackStatus: "UPDATE_ROLLBACK_IN_PROGRESS"},
		deploy.ResourceEvent{ID: "5", Time: at(7), LogicalID: "Service", ResourceType: "AWS::ECS::Service", Status: "UPDATE_COMPLETE"},
		deploy.WaitEnded{Time: at(65), Started: at(0), StackStatus: "UPDATE_ROLLBACK_COMPLETE"},
	}
}

func render(sink deploy.Sink) {
	for _, e := range script() {
		sink.Event(e)
	}
}

// Proves: the renderers print the plan, every event once with its reason,
// and a closing summary; plain output has no escape codes or redraws, the
// TTY one redraws a live summary line, in colour only when asked.
func TestRenderers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		sink      func(*strings.Builder) deploy.Sink
		live      bool
		wantColor bool
	}{
		{"plain", func(b *strings.Builder) deploy.Sink { return NewPlain(b) }, false, false},
		{"tty", func(b *strings.Builder) deploy.Sink { return NewTTY(b, true) }, true, true},
		{"tty with NO_COLOR", func(b *strings.Builder) deploy.Sink { return NewTTY(b, false) }, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			render(tt.sink(&b))
			out := b.String()
			plainText := sgr.ReplaceAllString(out, "")

			for _, want := range []string{
				"Plan for stack demo (update): 1 to add, 2 to modify, 1 to remove",
				"Add     Logs",
				"LoadBalancer  AWS::ElasticLoadBalancingV2::LoadBalancer  Replacement: True (Scheme, Type)",
				"Replacement: False",
				"- Remove  OldBucket",
				"Executing change set",
				"Circuit Breaker was triggered",
				"Stack demo is UPDATE_ROLLBACK_COMPLETE: 1 done, 0 in progress, 1 failed, 1m5s elapsed",
			} {
				if !strings.Contains(plainText, want) {
					t.Errorf("output lacks %q:\n%s", want, plainText)
				}
			}
			if n := strings.Count(plainText, "Logs                             AWS::Logs::LogGroup"); n != 2 {
				t.Errorf("Logs event lines = %d; want 2 (each event once):\n%s", n, plainText)
			}
			if got := sgr.MatchString(out); got != tt.wantColor {
				t.Errorf("colour codes present = %v; want %v", got, tt.wantColor)
			}
			if got := strings.Contains(out, "\r"); got != tt.live {
				t.Errorf("redraws present = %v; want %v", got, tt.live)
			}
			if !tt.live && strings.Contains(out, "\x1b") {
				t.Errorf("plain output has escape codes: %q", out)
			}
			if tt.live && !strings.Contains(plainText, "\r\x1b[Kupdate: 0 done, 1 in progress, 0 failed, 3s elapsed") {
				t.Errorf("no live summary line:\n%q", plainText)
			}
		})
	}
}

// Proves: a live display is chosen only for a terminal outside CI, and
// colour only when NO_COLOR is unset too; and that neither a file nor
// /dev/null counts as a terminal, while a pseudo-terminal does.
func TestDetect(t *testing.T) {
	t.Parallel()
	file, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if IsTerminal(file) || IsTerminal(null) || IsTerminal(nil) {
		t.Error("a file, /dev/null or nil counts as a terminal")
	}
	// The master side of a pseudo-terminal answers the terminal ioctl.
	if pty, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0); err == nil {
		defer pty.Close()
		if !IsTerminal(pty) {
			t.Error("a pseudo-terminal does not count as a terminal")
		}
	}

	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	tests := []struct {
		name string
		tty  bool
		env  func(string) string
		want Options
	}{
		{"not a terminal", false, env(), Options{}},
		{"terminal", true, env(), Options{Live: true, Color: true}},
		{"terminal with NO_COLOR", true, env("NO_COLOR", "1"), Options{Live: true}},
		{"terminal in CI", true, env("CI", "true"), Options{}},
	}
	for _, tt := range tests {
		if got := detect(tt.tty, tt.env); got.Live != tt.want.Live || got.Color != tt.want.Color {
			t.Errorf("%s: detect = %+v; want %+v", tt.name, got, tt.want)
		}
	}
	if _, ok := New(&strings.Builder{}, Options{}).(*Plain); !ok {
		t.Error("New without Live is not Plain")
	}
	if _, ok := New(&strings.Builder{}, Options{Live: true}).(*TTY); !ok {
		t.Error("New with Live is not TTY")
	}
}

// bothRenderers are the plain and the terminal renderer, for tests whose
// output must be the same in both (colours aside).
var bothRenderers = []struct {
	name string
	sink func(*strings.Builder) deploy.Sink
}{
	{"plain", func(b *strings.Builder) deploy.Sink { return NewPlain(b) }},
	{"tty", func(b *strings.Builder) deploy.Sink { return NewTTY(b, true) }},
}

// Proves: a plan that replaces resources needing a decision lists them
// first, above the resource lines, each with what it means; a plan without
// them prints no such list.
func TestPlanListsReplacementsFirst(t *testing.T) {
	t.Parallel()
	plan := script()[0].(deploy.PlanReady).Plan
	for _, tt := range bothRenderers {
		var b strings.Builder
		tt.sink(&b).Event(deploy.PlanReady{Plan: plan})
		out := sgr.ReplaceAllString(b.String(), "")
		lines := strings.Split(out, "\n")
		if len(lines) < 4 || lines[1] != "  Replacements to decide on:" ||
			!strings.HasPrefix(lines[2], "  ! LoadBalancer (AWS::ElasticLoadBalancingV2::LoadBalancer) is replaced because Scheme, Type changes: a new load balancer has a new DNS name") ||
			!strings.Contains(lines[3], "+ Add") {
			t.Errorf("%s: the replacement is not listed first, with its meaning:\n%s", tt.name, out)
		}
		if strings.Count(out, "  ! ") != 1 {
			t.Errorf("%s: want one replacement listed (the service is updated in place):\n%s", tt.name, out)
		}

		b.Reset()
		calm := deploy.Plan{Stack: "demo", ChangeSetType: "UPDATE", Changes: plan.Changes[2:]}
		tt.sink(&b).Event(deploy.PlanReady{Plan: calm})
		if strings.Contains(b.String(), "Replacements") {
			t.Errorf("%s: a plan without guarded replacements lists some:\n%s", tt.name, b.String())
		}
	}
}

// Proves (issue 20): the plan names every setting that changes, with its
// old and new value and where the new one came from, right under the
// header and before the replacements and the resources; the header counts
// them; a kept setting (shown with --verbose) is marked and not counted;
// and a plan whose only change is a setting has changes (diff
// --exit-code).
func TestPlanListsSettingsFirst(t *testing.T) {
	t.Parallel()
	plan := script()[0].(deploy.PlanReady).Plan
	plan.Settings = []deploy.SettingChange{
		{Key: "cpu", Old: "512", New: "1024", Source: "flag"},
		{Key: "health-check-path", New: "/healthz", Source: "kept from release 3", Kept: true},
	}
	for _, tt := range bothRenderers {
		var b strings.Builder
		tt.sink(&b).Event(deploy.PlanReady{Plan: plan})
		lines := strings.Split(sgr.ReplaceAllString(b.String(), ""), "\n")
		if len(lines) < 4 || !strings.HasSuffix(lines[0], ", 1 setting change") ||
			lines[1] != "  ~ Setting cpu: 512 → 1024 (flag)" ||
			lines[2] != "  = Setting health-check-path: /healthz (kept from release 3)" ||
			lines[3] != "  Replacements to decide on:" {
			t.Errorf("%s: the settings are not listed first, or not counted:\n%s", tt.name, strings.Join(lines, "\n"))
		}
	}
	if !(deploy.Plan{Settings: plan.Settings[:1]}).HasChanges() {
		t.Error("a plan that changes a setting has no changes")
	}
	if (deploy.Plan{Settings: plan.Settings[1:]}).HasChanges() {
		t.Error("a plan that only keeps a setting has changes")
	}
}
