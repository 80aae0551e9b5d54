package operate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

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
	c := Clients{SSM: client}
	ctx := context.Background()
	const stackName = "store-test"
	// Random text compresses badly, so it takes several parts.
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for b.Len() < 20000 {
		fmt.Fprintf(&b, "%016x\n", rng.Uint64())
	}
	body := b.String()
	sum := "0"
	parts, err := storeTemplate(ctx, c, stackName, sum, body)
	if err != nil {
		t.Fatal(err)
	}
	if parts < 2 {
		t.Fatalf("%d part(s); the test needs a template of several", parts)
	}
	again, err := storeTemplate(ctx, c, stackName, sum, body)
	if err != nil || again != parts {
		t.Fatalf("storing the same template again: %d, %v", again, err)
	}
	// The SHA-256 is checked on reading: a record naming the wrong one
	// is refused.
	if _, err := ReleaseTemplate(ctx, c, stackName, Release{Number: 1, TemplateSHA256: sum, TemplateParts: parts}); err == nil ||
		!strings.Contains(err.Error(), "does not match") {
		t.Errorf("a template under the wrong SHA-256: %v", err)
	}

	for i, image := range []string{"nginx:1.27", "nginx:1.28"} {
		r := &Release{Action: "deploy", Image: image, TemplateSHA256: sum, TemplateParts: parts, Parameters: map[string]string{"ContainerImage": image}}
		if err := putRecord(ctx, c, stackName, r); err != nil || r.Number != i+1 {
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
	if _, err := client.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(templatePath(stackName, sum) + "/1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ReleaseTemplate(ctx, c, stackName, Release{Number: 1, TemplateSHA256: sum, TemplateParts: parts}); err == nil ||
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
	if r.TemplateParts, err = storeTemplate(context.Background(), c, "roundtrip", r.TemplateSHA256, body); err != nil {
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
	c := Clients{SSM: client}
	ctx := context.Background()
	const stackName = "keep-test"
	bodies := []string{"Resources: {A: {Type: AWS::SNS::Topic}}\n", "Resources: {B: {Type: AWS::SNS::Topic}}\n"}
	// Releases 1 and 2 use template 0; release 3 uses template 1.
	for i, body := range []string{bodies[0], bodies[0], bodies[1]} {
		r := &Release{Action: "deploy", TemplateSHA256: sha256Hex(body), Parameters: map[string]string{}}
		var err error
		if r.TemplateParts, err = storeTemplate(ctx, c, stackName, r.TemplateSHA256, body); err != nil {
			t.Fatal(err)
		}
		if err := putRecord(ctx, c, stackName, r); err != nil || r.Number != i+1 {
			t.Fatalf("record %d: %d, %v", i+1, r.Number, err)
		}
		if err := prune(ctx, c, stackName, 2); err != nil {
			t.Fatal(err)
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
	}
	// Another release with template 1 drops release 2, the last user of
	// template 0, whose parts go too.
	r := &Release{Action: "deploy", TemplateSHA256: sha256Hex(bodies[1]), TemplateParts: 1, Parameters: map[string]string{}}
	if err := putRecord(ctx, c, stackName, r); err != nil {
		t.Fatal(err)
	}
	if err := prune(ctx, c, stackName, 2); err != nil {
		t.Fatal(err)
	}
	out, err := client.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String(templatePath(stackName, sha256Hex(bodies[0])))})
	if err != nil || len(out.Parameters) != 0 {
		t.Errorf("template 0 still stored: %v, %v", out, err)
	}
}
