package operate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
)

// Proves, against moto's SSM, that a template larger than one Standard
// parameter (4 KB) is stored in parts under its SHA-256, read back whole
// and checked; that storing it again (another release, same template)
// adds nothing; that records get the next free number; and that a part
// that goes missing is an error, not a different template.
func TestReleaseStoreAgainstMoto(t *testing.T) {
	t.Parallel()
	m := testenv.SharedMoto(t)
	client := ssm.New(ssm.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	const stackName = "store-test"
	c := Clients{SSM: client, CloudFormation: &cfnFake{stack: namedStack(stackName, "1", time.Time{})}}
	ctx := context.Background()
	root := HistoryPath(stackName, stackID(stackName, "1"))
	// Random text compresses badly, so it takes several parts.
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for b.Len() < 20000 {
		fmt.Fprintf(&b, "%016x\n", rng.Uint64())
	}
	body := b.String()
	sum := "0"
	parts, err := storeParts(ctx, c, templatePath(root, sum), []byte(body), "the template")
	if err != nil {
		t.Fatal(err)
	}
	if parts < 2 {
		t.Fatalf("%d part(s); the test needs a template of several", parts)
	}
	again, err := storeParts(ctx, c, templatePath(root, sum), []byte(body), "the template")
	if err != nil || again != parts {
		t.Fatalf("storing the same template again: %d, %v", again, err)
	}
	stored := Release{Number: 1, StackID: stackID(stackName, "1"), TemplateSHA256: sum, TemplateParts: parts}
	// The SHA-256 is checked on reading: a record naming the wrong one
	// is refused.
	if _, err := ReleaseTemplate(ctx, c, stackName, stored); err == nil ||
		!strings.Contains(err.Error(), "does not match") {
		t.Errorf("a template under the wrong SHA-256: %v", err)
	}

	for i, image := range []string{"nginx:1.27", "nginx:1.28"} {
		existing, err := History(ctx, c, stackName)
		if err != nil {
			t.Fatal(err)
		}
		r := &Release{StackID: stackID(stackName, "1"), Action: "deploy", Image: image, TemplateSHA256: sum, TemplateParts: parts, Parameters: map[string]string{"ContainerImage": image}}
		if err := putRecord(ctx, c, stackName, r, existing); err != nil || r.Number != i+1 {
			t.Fatalf("record %d: number %d, %v", i+1, r.Number, err)
		}
	}
	releases, err := History(ctx, c, stackName)
	if err != nil || len(releases) != 2 || releases[0].Number != 2 || releases[0].Image != "nginx:1.28" {
		t.Fatalf("history = %+v, %v", releases, err)
	}
	if _, err := FindRelease(releases, 9); err == nil || !strings.Contains(err.Error(), "it has 2, 1") {
		t.Errorf("an unknown release: %v", err)
	}

	// A missing part.
	if _, err := client.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(templatePath(root, sum) + "/1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ReleaseTemplate(ctx, c, stackName, stored); err == nil ||
		!strings.Contains(err.Error(), "part 1") {
		t.Errorf("a missing part: %v", err)
	}
}

// Proves the template round trip with its real SHA-256, through the same
// SSM store.
func TestReleaseTemplateRoundTripAgainstMoto(t *testing.T) {
	t.Parallel()
	m := testenv.SharedMoto(t)
	c := Clients{SSM: ssm.New(ssm.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})}
	body := "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n"
	r := Release{Number: 4, TemplateSHA256: sha256Hex(body)}
	var err error
	// A release of an earlier cfnfargate, without a stack ID: its template
	// is under the name's own path.
	if r.TemplateParts, err = storeParts(context.Background(), c, templatePath(HistoryPath("roundtrip", ""), r.TemplateSHA256), []byte(body), "the template"); err != nil {
		t.Fatal(err)
	}
	got, err := ReleaseTemplate(context.Background(), c, "roundtrip", r)
	if err != nil || got != body {
		t.Errorf("read back %q, %v", got, err)
	}
}

// Proves a release's image is pinned to its repository and digest,
// whatever tag it had, and left as it is without a digest.
func TestPinnedImage(t *testing.T) {
	const d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tt := range []struct{ image, digest, want string }{
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:v1", d, "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app@" + d},
		{"localhost:5000/app:v1@sha256:aaaa", d, "localhost:5000/app@" + d},
		{"nginx", d, "nginx@" + d},
		{"nginx:1.27", "", "nginx:1.27"},
	} {
		if got := (Release{Image: tt.image, ImageDigest: tt.digest}).PinnedImage(); got != tt.want {
			t.Errorf("%s pinned = %s, want %s", tt.image, got, tt.want)
		}
	}
}

// Proves the template diff shows changed lines with context, and hunks
// apart.
func TestLineDiff(t *testing.T) {
	a := strings.Split("a\nb\nc\nd\ne\nf\ng\nh", "\n")
	b := strings.Split("a\nB\nc\nd\ne\nf\ng\nh\ni", "\n")
	got := lineDiff(a, b, 1)
	want := []string{"  a", "- b", "+ B", "  c", "@@", "  h", "+ i"}
	if !slices.Equal(got, want) {
		t.Errorf("diff = %q, want %q", got, want)
	}
	if got := lineDiff(a, a, 2); len(got) != 0 {
		t.Errorf("no change: %q", got)
	}
}

// Proves a refused call names the IAM action, and other API errors read
// as code and message with what was being done.
func TestCallError(t *testing.T) {
	sim := newJSONSim(t)
	sim.on("ListTasks", simAnswer{errorCode: "AccessDeniedException"})
	_, err := ListTasks(context.Background(), sim.clients(), simService(), false)
	var denied *DeniedError
	if !errors.As(err, &denied) || denied.Action != "ecs:ListTasks" || !strings.Contains(err.Error(), "may not call ecs:ListTasks") {
		t.Errorf("denied: %v", err)
	}
	sim.on("ListTasks", simAnswer{errorCode: "ClusterNotFoundException"})
	_, err = ListTasks(context.Background(), sim.clients(), simService(), false)
	if err == nil || errors.As(err, &denied) || !strings.Contains(err.Error(), "list the tasks of service shop-service: ClusterNotFoundException") {
		t.Errorf("other error: %v", err)
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Proves, against moto's SSM, that recording keeps the newest releases
// only, and removes a template that only removed releases used while
// keeping one a kept release still uses.
func TestRecordKeepsTheNewestAgainstMoto(t *testing.T) {
	t.Parallel()
	m := testenv.SharedMoto(t)
	client := ssm.New(ssm.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	const stackName = "keep-test"
	cfn := &cfnFake{stack: namedStack(stackName, "1", time.Time{})}
	c := Clients{SSM: client, CloudFormation: cfn}
	ctx := context.Background()
	bodies := []string{"Resources: {A: {Type: AWS::SNS::Topic}}\n", "Resources: {B: {Type: AWS::SNS::Topic}}\n"}
	settings := []map[string][]string{{"cpu": {"256"}}, {"cpu": {"512"}}}
	// Releases 1 and 2 use template 0 and settings 0; release 3 uses
	// template 1 and settings 1.
	for i, n := range []int{0, 0, 1} {
		cfn.template = bodies[n]
		r, err := Record(ctx, c, stackName, RecordOptions{Keep: 2, Settings: settings[n]})
		if err != nil || r.Number != i+1 {
			t.Fatalf("record %d: %+v, %v", i+1, r, err)
		}
	}
	releases, err := History(ctx, c, stackName)
	if err != nil || len(releases) != 2 || releases[0].Number != 3 || releases[1].Number != 2 {
		t.Fatalf("history = %+v, %v", releases, err)
	}
	for _, r := range releases {
		if _, err := ReleaseTemplate(ctx, c, stackName, r); err != nil {
			t.Errorf("release %d lost its template: %v", r.Number, err)
		}
		if _, err := ReleaseSettings(ctx, c, stackName, r); err != nil {
			t.Errorf("release %d lost its settings: %v", r.Number, err)
		}
	}
	// Another release with template 1 drops release 2, the last user of
	// template 0 and settings 0, whose parts go too.
	cfn.template = bodies[1]
	if _, err := Record(ctx, c, stackName, RecordOptions{Keep: 2, Settings: settings[1]}); err != nil {
		t.Fatal(err)
	}
	root := HistoryPath(stackName, stackID(stackName, "1"))
	for _, path := range []string{templatePath(root, sha256Hex(bodies[0])), settingsPath(root, releases[1].SettingsSHA256)} {
		out, err := client.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String(path)})
		if err != nil || len(out.Parameters) != 0 {
			t.Errorf("%s still stored: %v, %v", path, out, err)
		}
	}
}

// stackID is the ID of the stack name with the unique part id, as
// CloudFormation writes it.
func stackID(name, id string) string {
	return "arn:aws:cloudformation:us-east-1:123456789012:stack/" + name + "/" + id
}

// namedStack is a settled stack of the name, with the unique part id,
// created at created.
func namedStack(name, id string, created time.Time) cftypes.Stack {
	return cftypes.Stack{StackName: aws.String(name), StackId: aws.String(stackID(name, id)),
		StackStatus: cftypes.StackStatusUpdateComplete, CreationTime: aws.Time(created)}
}

// tieredSSM records the tier of every PutParameter call it passes on.
type tieredSSM struct {
	SSMAPI
	mu    sync.Mutex
	tiers map[string]ssmtypes.ParameterTier
}

func (s *tieredSSM) PutParameter(ctx context.Context, in *ssm.PutParameterInput, opts ...func(*ssm.Options)) (*ssm.PutParameterOutput, error) {
	s.mu.Lock()
	s.tiers[aws.ToString(in.Name)] = in.Tier
	s.mu.Unlock()
	return s.SSMAPI.PutParameter(ctx, in, opts...)
}

// Proves (issue 20, against moto's SSM; CloudFormation simulated by
// cfnFake): a history belongs to one stack, not to its name. Releases an
// earlier cfnfargate recorded under the name's path are adopted by the
// stack they were recorded for (after its creation), not by a later stack
// of the name. A stack deleted and created again (a new stack ID) starts
// again at release 1 under a path of its own, and the old history stays
// readable. A release records the settings it is given, once per content,
// and a rollback's record those of the release it deployed again. Every
// parameter is written with the Intelligent-Tiering tier, so that parts
// do not fail at the 10,000 Standard parameters of an account (finding
// H2).
func TestHistoryBelongsToOneStackAgainstMoto(t *testing.T) {
	t.Parallel()
	m := testenv.SharedMoto(t)
	client := ssm.New(ssm.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	tiered := &tieredSSM{SSMAPI: client, tiers: map[string]ssmtypes.ParameterTier{}}
	const stackName = "one-stack"
	created := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	cfn := &cfnFake{stack: namedStack(stackName, "first", created), template: "Resources: {A: {Type: AWS::SNS::Topic}}\n"}
	c := Clients{SSM: tiered, CloudFormation: cfn}
	ctx := context.Background()

	// An earlier cfnfargate's releases: 1 of a deleted stack of the name,
	// 2 and 3 of this one.
	legacy := HistoryPath(stackName, "")
	for n, at := range map[int]time.Time{1: created.Add(-time.Hour), 2: created.Add(time.Minute), 3: created.Add(2 * time.Minute)} {
		r := &Release{Time: at, Action: "deploy", Parameters: map[string]string{}}
		if err := putRecord(ctx, c, stackName, r, []Release{{Number: n - 1}}); err != nil || r.Number != n {
			t.Fatalf("legacy release %d: %d, %v", n, r.Number, err)
		}
	}
	numbers := func(releases []Release) []int {
		var out []int
		for _, r := range releases {
			out = append(out, r.Number)
		}
		return out
	}
	releases, err := History(ctx, c, stackName)
	if err != nil || !slices.Equal(numbers(releases), []int{3, 2}) {
		t.Fatalf("history of the stack = %v, %v; want the releases recorded after it was created, 3 and 2", numbers(releases), err)
	}

	settings := map[string][]string{"cpu": {"512"}, "env": {"A=1", "B=2"}, "health-check-path": {"/healthz"}}
	sources := map[string]string{"cpu": "flag"}
	r4, err := Record(ctx, c, stackName, RecordOptions{Settings: settings, Sources: sources})
	if err != nil || r4.Number != 4 || r4.StackID != stackID(stackName, "first") {
		t.Fatalf("release 4 = %+v, %v", r4, err)
	}
	got, err := ReleaseSettings(ctx, c, stackName, *r4)
	if err != nil || !maps.EqualFunc(got, settings, slices.Equal[[]string]) || r4.Sources["cpu"] != "flag" {
		t.Errorf("release 4's settings = %v, sources %v, %v; want %v", got, r4.Sources, err, settings)
	}
	r5, err := Record(ctx, c, stackName, RecordOptions{Settings: settings})
	if err != nil || r5.SettingsSHA256 != r4.SettingsSHA256 {
		t.Fatalf("release 5 = %+v, %v; want the same settings as release 4", r5, err)
	}
	stored, err := client.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String(HistoryPath(stackName, stackID(stackName, "first")) + "/settings"), Recursive: aws.Bool(true)})
	if err != nil || len(stored.Parameters) != r4.SettingsParts {
		t.Errorf("the same settings stored as %d parameters, %v; want them once, in %d", len(stored.Parameters), err, r4.SettingsParts)
	}
	rollback, err := Record(ctx, c, stackName, RecordOptions{Action: "rollback", RollbackOf: 4, SettingsOf: r4})
	if err != nil || rollback.SettingsSHA256 != r4.SettingsSHA256 || rollback.Sources["cpu"] != "flag" {
		t.Errorf("a rollback to release 4 records %+v, %v; want release 4's settings", rollback, err)
	}
	old, err := History(ctx, c, stackName)
	if err != nil || !slices.Equal(numbers(old), []int{6, 5, 4, 3, 2}) {
		t.Fatalf("history = %v, %v", numbers(old), err)
	}

	// Deleted and created again: a new ID, a new history.
	cfn.stack = namedStack(stackName, "second", created.Add(24*time.Hour))
	if releases, err := History(ctx, c, stackName); err != nil || len(releases) != 0 {
		t.Fatalf("history of the new stack = %v, %v; want none", numbers(releases), err)
	}
	first, err := Record(ctx, c, stackName, RecordOptions{Settings: map[string][]string{"cpu": {"256"}}})
	if err != nil || first.Number != 1 {
		t.Fatalf("the new stack's first release = %+v, %v", first, err)
	}
	if releases, err := History(ctx, c, stackName); err != nil || !slices.Equal(numbers(releases), []int{1}) {
		t.Errorf("history of the new stack = %v, %v; want release 1 only", numbers(releases), err)
	}
	if kept, err := readReleases(ctx, c, HistoryPath(stackName, stackID(stackName, "first")), stackName); err != nil || !slices.Equal(numbers(kept), []int{6, 5, 4}) {
		t.Errorf("the deleted stack's history under its own path = %v, %v", numbers(kept), err)
	}
	if kept, err := readReleases(ctx, c, legacy, stackName); err != nil || len(kept) != 3 {
		t.Errorf("the earlier cfnfargate's releases = %v, %v; want them left as they were", numbers(kept), err)
	}

	tiered.mu.Lock()
	defer tiered.mu.Unlock()
	if len(tiered.tiers) == 0 {
		t.Fatal("nothing was written")
	}
	for name, tier := range tiered.tiers {
		if tier != ssmtypes.ParameterTierIntelligentTiering {
			t.Errorf("%s written with tier %q; want Intelligent-Tiering", name, tier)
		}
	}
}

// Proves a release not waited for counts only once the stack runs its
// template: the stack rolled back to another one does not confirm it.
func TestReleaseConfirmed(t *testing.T) {
	body := "Resources: {A: {Type: AWS::SNS::Topic}}\n"
	waited := Release{TemplateSHA256: sha256Hex(body)}
	pending := Release{NoWait: true, TemplateSHA256: sha256Hex(body)}
	if !waited.Confirmed("anything") || !pending.Confirmed(body) || pending.Confirmed("Resources: {}\n") {
		t.Error("Confirmed: a waited release always, one not waited for only with its template")
	}
}
