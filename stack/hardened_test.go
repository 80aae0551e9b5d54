package stack_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/format"
)

// controlCheck asserts one control of stack.Controls on a template, as the
// control's AWS Config rule reads the resources the template makes.
type controlCheck func(doc format.Document) error

// controlChecks holds one assertion per control of stack.Controls, by ID.
// TestHardenedControls runs each on the hardened templates, so that the
// README's table, which stack.Controls generates, cannot claim a control
// the template does not pass.
var controlChecks = map[string]controlCheck{
	"ECS.2": func(doc format.Document) error {
		allowed := at2(doc, "Parameters", "AssignPublicIp", "AllowedValues")
		if fmt.Sprint(allowed) != "[DISABLED]" {
			return fmt.Errorf("AssignPublicIp allows %v, not DISABLED only", allowed)
		}
		return eachResource(doc, "AWS::ECS::Service", func(id string, props map[string]any) error {
			if v := at2(props, "NetworkConfiguration", "AwsvpcConfiguration", "AssignPublicIp"); refTarget(v) != "AssignPublicIp" && v != "DISABLED" {
				return fmt.Errorf("%s assigns public IPs by %v", id, v)
			}
			return nil
		})
	},
	"ECS.4": eachContainer(func(c map[string]any) error {
		if c["Privileged"] == true {
			return errors.New("is privileged")
		}
		return nil
	}),
	"ECS.5": eachContainer(func(c map[string]any) error {
		if c["ReadonlyRootFilesystem"] != true {
			return fmt.Errorf("ReadonlyRootFilesystem is %v", c["ReadonlyRootFilesystem"])
		}
		return nil
	}),
	"ECS.8": eachContainer(func(c map[string]any) error {
		env, _ := c["Environment"].([]any)
		for _, e := range env {
			if name := at2(e, "Name"); slices.Contains([]any{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA"}, name) {
				return fmt.Errorf("passes %v as an environment variable", name)
			}
		}
		return nil
	}),
	"ECS.9": eachContainer(func(c map[string]any) error {
		if at2(c, "LogConfiguration", "LogDriver") == nil {
			return errors.New("has no log driver")
		}
		return nil
	}),
	"ECS.10": func(doc format.Document) error {
		return eachResource(doc, "AWS::ECS::Service", func(id string, props map[string]any) error {
			if v, ok := props["PlatformVersion"]; ok && v != "LATEST" && v != "1.4.0" {
				return fmt.Errorf("%s runs platform %v", id, v)
			}
			return nil
		})
	},
	"ECS.12": func(doc format.Document) error {
		return eachResource(doc, "AWS::ECS::Cluster", func(id string, props map[string]any) error {
			settings, _ := props["ClusterSettings"].([]any)
			for _, s := range settings {
				if at2(s, "Name") == "containerInsights" && (at2(s, "Value") == "enabled" || at2(s, "Value") == "enhanced") {
					return nil
				}
			}
			return fmt.Errorf("%s has no Container Insights: %v", id, settings)
		})
	},
	"ECS.17": func(doc format.Document) error {
		return eachResource(doc, "AWS::ECS::TaskDefinition", func(id string, props map[string]any) error {
			if props["NetworkMode"] != "awsvpc" {
				return fmt.Errorf("%s network mode %v", id, props["NetworkMode"])
			}
			return nil
		})
	},
	"ECS.20": eachContainer(func(c map[string]any) error {
		user, _ := c["User"].(string)
		name, _, _ := strings.Cut(user, ":")
		if n, err := strconv.Atoi(name); user == "" || name == "root" || (err == nil && n == 0) {
			return fmt.Errorf("runs as user %q", user)
		}
		return nil
	}),

	"ELB.1": eachListener(func(id string, l map[string]any) error {
		if l["Protocol"] == "HTTP" && dig(l, "DefaultActions", "0", "Type") != "redirect" {
			return fmt.Errorf("%s serves HTTP without redirecting", id)
		}
		return nil
	}),
	"ELB.4": loadBalancerAttribute("routing.http.drop_invalid_header_fields.enabled", "true"),
	"ELB.5": func(doc format.Document) error {
		if err := loadBalancerAttribute("access_logs.s3.enabled", "true")(doc); err != nil {
			return err
		}
		return eachResource(doc, "AWS::ElasticLoadBalancingV2::LoadBalancer", func(id string, props map[string]any) error {
			if loadBalancerAttributes(props)["access_logs.s3.bucket"] == nil {
				return fmt.Errorf("%s names no access-log bucket", id)
			}
			return nil
		})
	},
	"ELB.6":  loadBalancerAttribute("deletion_protection.enabled", "true"),
	"ELB.12": loadBalancerAttribute("routing.http.desync_mitigation_mode", "defensive", "strictest"),
	// An Application Load Balancer spans two Availability Zones at least:
	// "You must specify subnets from at least two Availability Zones" (ELB
	// API reference, CreateLoadBalancer, Subnets). Its subnets are a list
	// parameter, which the pre-flight checks; the public one says so.
	"ELB.13": func(doc format.Document) error {
		return eachResource(doc, "AWS::ElasticLoadBalancingV2::LoadBalancer", func(id string, props map[string]any) error {
			subnets := refTarget(props["Subnets"])
			description := fmt.Sprint(at2(doc, "Parameters", subnets, "Description"))
			switch {
			case props["Type"] != "application" || at2(doc, "Parameters", subnets, "Type") != "List<AWS::EC2::Subnet::Id>":
				return fmt.Errorf("%s is not an Application Load Balancer in a list of subnets: %v, %v", id, props["Type"], props["Subnets"])
			case subnets == stack.ParamPublicSubnetIDs && !strings.Contains(description, "Availability Zones"):
				return fmt.Errorf("%s's subnets %v are not a parameter that asks for several Availability Zones", id, props["Subnets"])
			}
			return nil
		})
	},
	"ELB.16": func(doc format.Document) error {
		for _, props := range resourcesOfType(doc, "AWS::WAFv2::WebACLAssociation") {
			if refTarget(props["ResourceArn"]) == "LoadBalancer" && props["WebACLArn"] != nil {
				return nil
			}
		}
		return errors.New("no web ACL is associated with LoadBalancer")
	},
	"ELB.17": eachListener(func(id string, l map[string]any) error {
		if p, _ := l["SslPolicy"].(string); l["Protocol"] == "HTTPS" && !slices.Contains(stack.RecommendedSSLPolicies, p) {
			return fmt.Errorf("%s uses %q", id, p)
		}
		return nil
	}),
	"ELB.18": func(doc format.Document) error {
		err := eachListener(func(id string, l map[string]any) error {
			if l["Protocol"] != "HTTPS" {
				return fmt.Errorf("%s listens for %v", id, l["Protocol"])
			}
			return nil
		})(doc)
		if err != nil {
			return err
		}
		rules, _ := at2(doc, "Resources", "LoadBalancerSecurityGroup", "Properties", "SecurityGroupIngress").([]any)
		for _, r := range rules {
			if fmt.Sprint(at2(r, "FromPort")) != "443" || fmt.Sprint(at2(r, "ToPort")) != "443" {
				return fmt.Errorf("the load balancer's security group opens %v-%v", at2(r, "FromPort"), at2(r, "ToPort"))
			}
		}
		return nil
	},

	"CloudWatch.16": eachLogGroup(func(id string, props map[string]any) error {
		if days, ok := props["RetentionInDays"]; ok {
			if n, _ := intIn(days, 0, 1<<30); n < 365 {
				return fmt.Errorf("%s keeps logs %v days", id, days)
			}
		}
		return nil
	}),
	"cloudwatch-log-group-encrypted": eachLogGroup(func(id string, props map[string]any) error {
		if props["KmsKeyId"] == nil {
			return fmt.Errorf("%s has no KMS key", id)
		}
		return nil
	}),

	"IAM.1": eachPolicyStatement(func(where string, st map[string]any) error {
		if st["Effect"] == "Allow" && slices.Contains(strings.Fields(fmt.Sprint(st["Action"])), "*") && fmt.Sprint(st["Resource"]) == "*" {
			return fmt.Errorf("%s allows * on *", where)
		}
		return nil
	}),
	"IAM.21": eachPolicyStatement(func(where string, st map[string]any) error {
		for _, a := range strings.Fields(strings.Trim(fmt.Sprint(st["Action"]), "[]")) {
			if strings.HasSuffix(a, ":*") {
				return fmt.Errorf("%s allows %s", where, a)
			}
		}
		return nil
	}),
	"iam-no-inline-policy-check": func(doc format.Document) error {
		if len(resourcesOfType(doc, "AWS::IAM::ManagedPolicy")) == 0 {
			return errors.New("no managed policy")
		}
		return eachResource(doc, "AWS::IAM::Role", func(id string, props map[string]any) error {
			if policies, _ := props["Policies"].([]any); len(policies) > 0 {
				return fmt.Errorf("%s has inline policies %v", id, policies)
			}
			return nil
		})
	},

	"KMS.1": eachPolicyStatement(kmsDecryptOnAllKeys),
	"KMS.2": eachPolicyStatement(kmsDecryptOnAllKeys),
	"KMS.3": eachKey(func(id string, key map[string]any) error {
		if key["DeletionPolicy"] != "Retain" || key["UpdateReplacePolicy"] != "Retain" {
			return fmt.Errorf("%s is deleted with the stack or an update (%v, %v)", id, key["DeletionPolicy"], key["UpdateReplacePolicy"])
		}
		return nil
	}),
	"KMS.4": eachKey(func(id string, key map[string]any) error {
		if at2(key, "Properties", "EnableKeyRotation") != true {
			return fmt.Errorf("%s does not rotate", id)
		}
		return nil
	}),
	"KMS.5": eachKey(func(id string, key map[string]any) error {
		statements, _ := at2(key, "Properties", "KeyPolicy", "Statement").([]any)
		for _, st := range statements {
			p := at2(st, "Principal")
			if p == "*" || at2(p, "AWS") == "*" {
				return fmt.Errorf("%s's policy is public: %v", id, st)
			}
			if at2(p, "Service") != nil && at2(st, "Condition") == nil {
				return fmt.Errorf("%s lets %v use it for anything", id, at2(p, "Service"))
			}
		}
		return nil
	}),

	"S3.2":  bucketBlocksPublicAccess,
	"S3.3":  bucketBlocksPublicAccess,
	"S3.8":  bucketBlocksPublicAccess,
	"S3.5":  onAccessLogsBucket(denyWithoutTLS),
	"S3.6":  onAccessLogsBucket(allowsOnlyLogDelivery),
	"S3.10": onAccessLogsBucket(expiresOldVersions),
	"S3.12": onAccessLogsBucket(func(doc format.Document, bucket map[string]any) error {
		if dig(bucket, "OwnershipControls", "Rules", "0", "ObjectOwnership") != "BucketOwnerEnforced" {
			return errors.New("ACLs are not off")
		}
		return nil
	}),
	// s3-lifecycle-policy-check is NON_COMPLIANT when no lifecycle rule is
	// enabled; the expiry after --log-retention-days is one of the rules,
	// and with log-retention-days 0 (forever) the others remain.
	"S3.13": onAccessLogsBucket(func(doc format.Document, bucket map[string]any) error {
		rules, _ := at2(bucket, "LifecycleConfiguration", "Rules").([]any)
		for _, r := range rules {
			if at2(r, "Status") == "Enabled" {
				return nil
			}
		}
		return errors.New("no lifecycle rule is enabled")
	}),
	"S3.14": onAccessLogsBucket(func(doc format.Document, bucket map[string]any) error {
		if at2(bucket, "VersioningConfiguration", "Status") != "Enabled" {
			return errors.New("versioning is off")
		}
		return nil
	}),

	"WAF.10": eachWebACL(func(id string, props map[string]any) error {
		if rules, _ := props["Rules"].([]any); len(rules) == 0 {
			return fmt.Errorf("%s has no rule", id)
		}
		return nil
	}),
	"WAF.11": func(doc format.Document) error {
		return eachResource(doc, "AWS::WAFv2::WebACL", func(id string, _ map[string]any) error {
			for _, props := range resourcesOfType(doc, "AWS::WAFv2::LoggingConfiguration") {
				if getAttTarget(props["ResourceArn"], "Arn") == id {
					return nil
				}
			}
			return fmt.Errorf("%s does not log", id)
		})
	},
}

// passWithoutHardened are the controls the template without --hardened
// passes too (TestHardenedControls proves every other check fails there,
// so that no check passes by accident). ELB.1 is not among them: without
// a domain, the template that is not hardened serves HTTP only when it has
// no certificate, and its port 80 listener then forwards
// (Config.AllowsHTTPOnly).
var passWithoutHardened = []string{"ECS.4", "ECS.8", "ECS.9", "ECS.10", "ECS.12", "ECS.17", "ECS.20",
	"ELB.4", "ELB.13", "ELB.17", "IAM.1", "IAM.21", "KMS.1", "KMS.2"}

// TestHardenedControls proves the hardened templates pass every control
// of the README's table, each by its own assertion: the service with a load
// balancer of its own all of them, an environment's stack those of its load
// balancer and cluster, and a service in it the others. It also proves
// that the assertions are not vacuous: without --hardened (the same
// application, with its user) each fails but those that the default
// template passes as well.
func TestHardenedControls(t *testing.T) {
	var ids []string
	for _, c := range stack.Controls() {
		ids = append(ids, c.ID)
		if controlChecks[c.ID] == nil {
			t.Errorf("%s is in the README's table but has no check here", c.ID)
		}
	}
	for id := range controlChecks {
		if !slices.Contains(ids, id) {
			t.Errorf("%s has a check but is not in stack.Controls", id)
		}
	}
	templates := []struct {
		variant string
		applies func(stack.Place) bool
	}{
		{"hardened", func(stack.Place) bool { return true }},
		{"environment-hardened", func(p stack.Place) bool { return p != stack.PlaceService }},
		{"env-service-hardened", func(p stack.Place) bool { return p != stack.PlaceEnvironment }},
	}
	for _, tpl := range templates {
		v := variantNamed(tpl.variant)
		doc := v.document(t)
		for _, c := range stack.Controls() {
			if !tpl.applies(c.Place) || controlChecks[c.ID] == nil {
				continue
			}
			if err := controlChecks[c.ID](doc); err != nil {
				t.Errorf("%s fails %s (%s): %v", tpl.variant, c.ID, c.Title, err)
			}
		}
	}
	plain := variant{cfg: unhardened("hardened")}.document(t)
	for _, c := range stack.Controls() {
		check := controlChecks[c.ID]
		if check == nil {
			continue
		}
		err := check(plain)
		if want := slices.Contains(passWithoutHardened, c.ID); (err == nil) != want {
			t.Errorf("without --hardened, %s: got %v, want it to pass: %v", c.ID, err, want)
		}
	}
}

// TestHardenedControlsREADME proves the README's tables of controls, those
// the hardened template passes and those it does not, are what
// stack.Controls and stack.UnmetControls say (make golden rewrites them).
func TestHardenedControlsREADME(t *testing.T) {
	place := map[stack.Place]string{stack.PlaceService: "service", stack.PlaceEnvironment: "environment", stack.PlaceBoth: "both"}
	orDash := func(s []string) string {
		if len(s) == 0 {
			return "—"
		}
		return strings.Join(s, ", ")
	}
	var b strings.Builder
	b.WriteString("| Control | Standards | NIST 800-53 rev 5 | How the hardened template passes it | Stack, in an environment |\n|---|---|---|---|---|\n")
	for _, c := range stack.Controls() {
		fmt.Fprintf(&b, "| %s: %s | %s | %s | %s | %s |\n", c.ID, c.Title, orDash(c.Standards), orDash(c.NIST), c.Met, place[c.Place])
	}
	b.WriteString("\nThe controls it does not pass:\n\n| Control | Standards | Why | Source |\n|---|---|---|---|\n")
	for _, c := range stack.UnmetControls() {
		fmt.Fprintf(&b, "| %s: %s | %s | %s | %s |\n", c.ID, c.Title, orDash(c.Standards), c.Why, c.Source)
	}
	testenv.READMESection(t, readmeFile, "hardened-controls", b.String(), *update)
}

// TestApplyHardened proves --hardened gives its values to the settings the
// user did not give, and leaves those the user gave, even at their
// defaults; Warnings then names the control each of those breaks.
func TestApplyHardened(t *testing.T) {
	cases := []struct {
		name  string
		given map[string]string // key: value, as the user typed it
		// want are the values after ApplyHardened, by key.
		want map[string]string
		// warns are the controls the warnings name.
		warns []string
	}{
		{name: "nothing given",
			want: map[string]string{stack.KeyLogRetentionDays: "365", stack.KeyDeletionProtection: "true", stack.KeyReadOnlyRootFS: "true", stack.KeyPublicTasks: "false", stack.KeyNoContainerInsights: "false"}},
		{name: "retention given at its default", given: map[string]string{stack.KeyLogRetentionDays: "30"},
			want: map[string]string{stack.KeyLogRetentionDays: "30", stack.KeyDeletionProtection: "true"}, warns: []string{"CloudWatch.16"}},
		{name: "retention given longer", given: map[string]string{stack.KeyLogRetentionDays: "731"},
			want: map[string]string{stack.KeyLogRetentionDays: "731"}},
		{name: "retention forever", given: map[string]string{stack.KeyLogRetentionDays: "0"},
			want: map[string]string{stack.KeyLogRetentionDays: "0"}},
		{name: "deletion protection off, public tasks on", given: map[string]string{stack.KeyDeletionProtection: "false", stack.KeyPublicTasks: "true"},
			want: map[string]string{stack.KeyDeletionProtection: "false", stack.KeyPublicTasks: "true", stack.KeyReadOnlyRootFS: "true"}, warns: []string{"ECS.2", "ELB.6"}},
		{name: "a writable root filesystem and no insights", given: map[string]string{stack.KeyReadOnlyRootFS: "false", stack.KeyNoContainerInsights: "true"},
			want: map[string]string{stack.KeyReadOnlyRootFS: "false", stack.KeyNoContainerInsights: "true"}, warns: []string{"ECS.12", "ECS.5"}},
		{name: "a policy outside ELB.17's list", given: map[string]string{stack.KeySSLPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06"},
			want: map[string]string{stack.KeySSLPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06"}, warns: []string{"ELB.17"}},
		{name: "credentials in the environment", given: map[string]string{stack.KeyEnv: "AWS_SECRET_ACCESS_KEY=x"},
			want: map[string]string{stack.KeyEnv: "AWS_SECRET_ACCESS_KEY=x"}, warns: []string{"ECS.8"}},
		{name: "an existing cluster", given: map[string]string{stack.KeyCluster: "shared"},
			want: map[string]string{stack.KeyNoContainerInsights: "false"}, warns: []string{"ECS.12"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := stack.Default()
			c.Hardened = true
			c.Container.User = "1000"
			for key, value := range tc.given {
				s, _ := stack.LookupSetting(key)
				if err := s.Set(&c, []string{value}); err != nil {
					t.Fatal(err)
				}
			}
			set := c.ApplyHardened(func(key string) bool { _, ok := tc.given[key]; return ok })
			for key, want := range tc.want {
				s, _ := stack.LookupSetting(key)
				if got := strings.Join(s.Value(c), ","); got != want {
					t.Errorf("%s = %s, want %s", key, got, want)
				}
				if _, given := tc.given[key]; given == slices.Contains(set, key) {
					t.Errorf("ApplyHardened set %v: %s given %v", set, key, given)
				}
			}
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			var warned []string
			for _, w := range c.Warnings() {
				if slices.Contains(w.Related, stack.KeyHardened) {
					id, _, _ := strings.Cut(w.Message[strings.Index(w.Message, "breaks ")+len("breaks "):], " ")
					warned = append(warned, id)
				}
			}
			slices.Sort(warned)
			if !slices.Equal(warned, tc.warns) {
				t.Errorf("warnings name %v, want %v: %v", warned, tc.warns, c.Warnings())
			}
		})
	}
	// Without --hardened nothing changes.
	c := stack.Default()
	if set := c.ApplyHardened(nil); set != nil || !equalConfig(c, stack.Default()) {
		t.Errorf("ApplyHardened without Hardened set %v", set)
	}
}

func equalConfig(a, b stack.Config) bool { return fmt.Sprintf("%+v", a) == fmt.Sprintf("%+v", b) }

// TestUserWarnings proves a user other than root on a port below 1024 is
// a warning that names the container port (such a user cannot bind it),
// and that hardened's own bucket takes --access-logs-prefix without the
// warning that the prefix has no bucket.
func TestUserWarnings(t *testing.T) {
	cases := []struct {
		user     string
		port     int
		hardened bool
		prefix   string
		want     []string // keys of the warnings
	}{
		{"1000", 80, false, "", []string{stack.KeyContainerPort}},
		{"app:app", 443, false, "", []string{stack.KeyContainerPort}},
		{"1000", 1024, false, "", nil},
		{"root", 80, false, "", nil},
		{"0:1000", 80, false, "", nil},
		{"", 80, false, "", nil},
		{"", 80, false, "shop", []string{stack.KeyAccessLogsPrefix}},
		{"1000", 8080, true, "shop", nil},
	}
	for _, tc := range cases {
		c := stack.Default()
		c.Container.User, c.Container.Port, c.Hardened, c.LoadBalancer.AccessLogs.Prefix = tc.user, tc.port, tc.hardened, tc.prefix
		c.ApplyHardened(nil)
		c.Container.Image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1" // not nginx, whose own warning is not this test's
		var keys []string
		for _, w := range c.Warnings() {
			keys = append(keys, w.Key)
		}
		if !slices.Equal(keys, tc.want) {
			t.Errorf("user %q, port %d, hardened %v, prefix %q: warnings %v, want %v", tc.user, tc.port, tc.hardened, tc.prefix, c.Warnings(), tc.want)
		}
	}
}

// TestHardenedValuesAreValid proves every hardened value of the settings
// table is one its setting reads and its range allows.
func TestHardenedValuesAreValid(t *testing.T) {
	for _, s := range stack.Settings() {
		if s.Hardened == "" {
			continue
		}
		c := stack.Default()
		if err := s.Set(&c, []string{s.Hardened}); err != nil {
			t.Errorf("%s: hardened value %q: %v", s.Key, s.Hardened, err)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%s: hardened value %q: %v", s.Key, s.Hardened, err)
		}
	}
}

// TestContainerUser proves the forms of --user that ECS takes are accepted
// and others refused, and that --hardened needs a user other than root.
func TestContainerUser(t *testing.T) {
	cases := []struct {
		user     string
		hardened bool
		problem  string // "" when valid
	}{
		{"app", false, ""},
		{"1000", false, ""},
		{"app:app", false, ""},
		{"1000:1000", false, ""},
		{"app:1000", false, ""},
		{"1000:app", false, ""},
		{"www-data", false, ""},
		{"_svc.1", false, ""},
		{"root", false, ""}, // ECS takes it; only hardened refuses it
		{"0", false, ""},
		{"", false, ""},
		{"1000:1000", true, ""},
		{"app:0", true, ""}, // group 0 is not the root user
		{"", true, "is required with hardened"},
		{"root", true, "runs the container as root"},
		{"0", true, "runs the container as root"},
		{"00:1000", true, "runs the container as root"},
		{"root:app", true, "runs the container as root"},
		{"a:b:c", false, "is not a user ECS takes"},
		{"app user", false, "is not a user ECS takes"},
		{"-app", false, "is not a user ECS takes"},
		{"1000:", false, "is not a user ECS takes"},
		{"99999999999", false, "is not a user ECS takes"},
		{strings.Repeat("a", 33), false, "is not a user ECS takes"},
	}
	for _, tc := range cases {
		c := stack.Default()
		c.Container.User, c.Hardened = tc.user, tc.hardened
		c.ApplyHardened(nil)
		err := c.Validate()
		var verr *stack.ValidationError
		switch {
		case tc.problem == "" && err != nil:
			t.Errorf("user %q (hardened %v): %v", tc.user, tc.hardened, err)
		case tc.problem != "" && (!errors.As(err, &verr) || !slices.ContainsFunc(verr.Problems, func(p stack.Problem) bool {
			return p.Key == stack.KeyUser && strings.Contains(p.Message, tc.problem)
		})):
			t.Errorf("user %q (hardened %v): got %v, want a user problem %q", tc.user, tc.hardened, err, tc.problem)
		}
	}
}

// checkHardened looks at what --hardened adds, through the services' APIs
// in moto: the KMS key that encrypts the logs, rotating and usable by
// CloudWatch Logs of the stack's account and Region only, the access-log
// bucket with S3-managed encryption, and managed policies in place of
// inline ones. moto's CloudFormation does not model the bucket's policy,
// public access block, versioning or lifecycle, the log group's key, or
// the web ACL (checkDeployed lists what it skipped): the template tests
// check those.
func checkHardened(t *testing.T, m *testenv.Moto, s motoStack) {
	t.Helper()
	key := s.physical["LogsKey"]
	// moto 5.2 keeps the KeyPolicy of a key that CloudFormation creates as
	// an object, not the JSON text KMS stores: DescribeKey then fails with
	// a 500 (json.loads of a dict), and GetKeyPolicy returns the object.
	// So the key is found by ListKeys, and the policy read either way.
	var listed struct{ Keys []struct{ KeyId string } }
	m.JSON(t, "kms", "TrentService.ListKeys", nil, &listed)
	if !slices.ContainsFunc(listed.Keys, func(k struct{ KeyId string }) bool { return k.KeyId == key }) {
		t.Errorf("KMS has no key %s: %+v", key, listed.Keys)
	}
	var rotation struct{ KeyRotationEnabled bool }
	m.JSON(t, "kms", "TrentService.GetKeyRotationStatus", map[string]any{"KeyId": key}, &rotation)
	if !rotation.KeyRotationEnabled {
		t.Errorf("key %s does not rotate", key)
	}
	var policy struct{ Policy json.RawMessage }
	m.JSON(t, "kms", "TrentService.GetKeyPolicy", map[string]any{"KeyId": key, "PolicyName": "default"}, &policy)
	text := string(policy.Policy)
	if unquoted, err := strconv.Unquote(text); err == nil {
		text = unquoted // the JSON text, as KMS returns it
	}
	for _, want := range []string{`"logs.` + m.Region + `.amazonaws.com"`, `"arn:aws:logs:` + m.Region + `:`, `:log-group:*"`, `"kms:EncryptionContext:aws:logs:arn"`} {
		if !strings.Contains(text, want) {
			t.Errorf("key policy lacks %s: %s", want, text)
		}
	}

	bucket := s.physical["AccessLogsBucket"]
	if body := string(m.Get(t, "s3", "/"+bucket+"?encryption")); !strings.Contains(body, "<SSEAlgorithm>AES256</SSEAlgorithm>") {
		t.Errorf("bucket %s encryption = %s, want SSE-S3 (AES256)", bucket, body)
	}

	out := m.Query(t, "iam", "ListRolePolicies", url.Values{"RoleName": {roleName(s.physical["ExecutionRole"])}})
	if inline := testenv.XMLValues(out, "member"); len(inline) > 0 {
		t.Errorf("execution role has inline policies %v", inline)
	}
	arn := s.physical["ExecutionRolePolicy"]
	if !strings.HasPrefix(arn, "arn:") {
		arn = "arn:aws:iam::123456789012:policy/" + arn
	}
	doc := m.Query(t, "iam", "GetPolicy", url.Values{"PolicyArn": {arn}})
	if len(testenv.XMLValues(doc, "PolicyName")) != 1 {
		t.Errorf("managed policy %s: %s", arn, doc)
	}
}

// TestHardenedEnvironmentToMoto proves a hardened environment's stack
// deploys: its load balancer listens on 443 only, and its access-log
// bucket and KMS key exist.
func TestHardenedEnvironmentToMoto(t *testing.T) {
	m := testenv.SharedMoto(t)
	network := m.Seed(t)
	v := variantNamed("environment-hardened")
	body := renderVariant(t, v, false)
	params := networkParameters(network)
	s := createStack(t, cfnClient(m), "e2e-environment-hardened", body, params)

	out := m.Query(t, "elasticloadbalancing", "DescribeListeners", url.Values{"LoadBalancerArn": {s.physical["LoadBalancer"]}})
	if ports := testenv.XMLValues(out, "Port"); !slices.Equal(ports, []string{"443"}) {
		t.Errorf("listeners on ports %v, want 443 only", ports)
	}
	for _, id := range []string{"AccessLogsBucket", "LogsKey", "WebACLLogGroup"} {
		if s.physical[id] == "" {
			t.Errorf("moto created no %s: %v", id, slices.Sorted(maps.Keys(s.physical)))
		}
	}
}

// variantNamed returns the golden variant called name.
func variantNamed(name string) variant {
	for _, v := range goldenVariants() {
		if v.name == name {
			return v
		}
	}
	panic("no variant " + name)
}

// Helpers of the control checks.

// dig walks doc along path: map keys, or list indexes as decimal numbers;
// it returns nil where the path ends.
func dig(doc any, path ...string) any {
	cur := doc
	for _, k := range path {
		switch x := cur.(type) {
		case map[string]any:
			cur = x[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			cur = x[i]
		default:
			return nil
		}
	}
	return cur
}

func eachResource(doc format.Document, typ string, check func(id string, props map[string]any) error) error {
	found := resourcesOfType(doc, typ)
	if len(found) == 0 {
		return fmt.Errorf("no %s", typ)
	}
	for _, id := range slices.Sorted(maps.Keys(found)) {
		if err := check(id, found[id]); err != nil {
			return err
		}
	}
	return nil
}

func eachContainer(check func(c map[string]any) error) controlCheck {
	return func(doc format.Document) error {
		all := containers(doc)
		if len(all) == 0 {
			return errors.New("no container")
		}
		for _, where := range slices.Sorted(maps.Keys(all)) {
			if err := check(all[where]); err != nil {
				return fmt.Errorf("%s %w", where, err)
			}
		}
		return nil
	}
}

func eachListener(check func(id string, l map[string]any) error) controlCheck {
	return func(doc format.Document) error {
		return eachResource(doc, "AWS::ElasticLoadBalancingV2::Listener", check)
	}
}

func eachLogGroup(check func(id string, props map[string]any) error) controlCheck {
	return func(doc format.Document) error {
		return eachResource(doc, "AWS::Logs::LogGroup", check)
	}
}

func eachWebACL(check func(id string, props map[string]any) error) controlCheck {
	return func(doc format.Document) error {
		return eachResource(doc, "AWS::WAFv2::WebACL", check)
	}
}

// eachKey runs check on each KMS key, with its attributes.
func eachKey(check func(id string, key map[string]any) error) controlCheck {
	return func(doc format.Document) error {
		keys := resourcesOfType(doc, "AWS::KMS::Key")
		if len(keys) == 0 {
			return errors.New("no KMS key")
		}
		for _, id := range slices.Sorted(maps.Keys(keys)) {
			if err := check(id, resources(doc)[id]); err != nil {
				return err
			}
		}
		return nil
	}
}

func loadBalancerAttribute(key string, values ...string) controlCheck {
	return func(doc format.Document) error {
		return eachResource(doc, "AWS::ElasticLoadBalancingV2::LoadBalancer", func(id string, props map[string]any) error {
			if v := loadBalancerAttributes(props)[key]; !slices.Contains(values, fmt.Sprint(v)) {
				return fmt.Errorf("%s: %s is %v, want %s", id, key, v, strings.Join(values, " or "))
			}
			return nil
		})
	}
}

// eachPolicyStatement runs check on every statement of every IAM policy of
// the template: the roles' inline ones and the managed ones.
func eachPolicyStatement(check func(where string, st map[string]any) error) controlCheck {
	return func(doc format.Document) error {
		var documents []struct {
			where string
			doc   any
		}
		for id, props := range resourcesOfType(doc, "AWS::IAM::ManagedPolicy") {
			documents = append(documents, struct {
				where string
				doc   any
			}{id, props["PolicyDocument"]})
		}
		for id, props := range resourcesOfType(doc, "AWS::IAM::Role") {
			policies, _ := props["Policies"].([]any)
			for _, p := range policies {
				documents = append(documents, struct {
					where string
					doc   any
				}{id + " inline", at2(p, "PolicyDocument")})
			}
		}
		slices.SortFunc(documents, func(a, b struct {
			where string
			doc   any
		}) int {
			return strings.Compare(a.where, b.where)
		})
		for _, d := range documents {
			statements, _ := at2(d.doc, "Statement").([]any)
			for _, st := range statements {
				if err := check(d.where, st.(map[string]any)); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

func kmsDecryptOnAllKeys(where string, st map[string]any) error {
	actions := fmt.Sprint(st["Action"])
	if st["Effect"] == "Allow" && fmt.Sprint(st["Resource"]) == "*" && (strings.Contains(actions, "kms:Decrypt") || strings.Contains(actions, "kms:ReEncryptFrom") || strings.Contains(actions, "kms:*")) {
		return fmt.Errorf("%s allows %v on every key", where, st["Action"])
	}
	return nil
}

// onAccessLogsBucket runs check on the access-log bucket the stack creates.
func onAccessLogsBucket(check func(doc format.Document, bucket map[string]any) error) controlCheck {
	return func(doc format.Document) error {
		bucket, ok := resourcesOfType(doc, "AWS::S3::Bucket")["AccessLogsBucket"]
		if !ok {
			return errors.New("the stack creates no access-log bucket")
		}
		return check(doc, bucket)
	}
}

var bucketBlocksPublicAccess = onAccessLogsBucket(func(doc format.Document, bucket map[string]any) error {
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		if at2(bucket, "PublicAccessBlockConfiguration", k) != true {
			return fmt.Errorf("%s is not on", k)
		}
	}
	return allowsOnlyLogDelivery(doc, bucket)
})

// bucketPolicy returns the statements of the access-log bucket's policy.
func bucketPolicy(doc format.Document) []any {
	statements, _ := at2(propsOf(doc, "AccessLogsBucketPolicy"), "PolicyDocument", "Statement").([]any)
	return statements
}

func denyWithoutTLS(doc format.Document, _ map[string]any) error {
	for _, st := range bucketPolicy(doc) {
		if at2(st, "Effect") == "Deny" && at2(st, "Principal") == "*" && at2(st, "Action") == "s3:*" &&
			at2(st, "Condition", "Bool", "aws:SecureTransport") == "false" && len(at2(st, "Resource").([]any)) == 2 {
			return nil
		}
	}
	return errors.New("no statement denies requests without TLS on the bucket and its objects")
}

func allowsOnlyLogDelivery(doc format.Document, _ map[string]any) error {
	for _, st := range bucketPolicy(doc) {
		if at2(st, "Effect") != "Allow" {
			continue
		}
		if at2(st, "Principal", "Service") != "logdelivery.elasticloadbalancing.amazonaws.com" || at2(st, "Action") != "s3:PutObject" {
			return fmt.Errorf("the bucket policy allows %v to %v", at2(st, "Action"), at2(st, "Principal"))
		}
	}
	return nil
}

func expiresOldVersions(doc format.Document, bucket map[string]any) error {
	if at2(bucket, "VersioningConfiguration", "Status") != "Enabled" {
		return nil // the control is about versioned buckets
	}
	rules, _ := at2(bucket, "LifecycleConfiguration", "Rules").([]any)
	for _, r := range rules {
		if at2(r, "Status") == "Enabled" && at2(r, "NoncurrentVersionExpiration", "NoncurrentDays") != nil {
			return nil
		}
	}
	return errors.New("old versions never expire")
}

// TestHardenedOverEveryVariant proves --hardened goes with every other
// feature: each golden configuration (secrets by name, the pause gate and
// its roles, canary with its alarms, autoscaling, Spot, domains, an
// internal load balancer, an existing cluster, environments with their
// services' shared security group, services in them, ...) with --hardened
// on top, as the command line gives it (what the configuration sets counts
// as given, and ECS Exec comes with a writable root filesystem, which it
// needs), validates, keeps the AWS-side rules, passes every control of its
// stack that no given value breaks (a bucket or web ACL given is the
// user's to audit), and passes cfn-lint with no finding.
func TestHardenedOverEveryVariant(t *testing.T) {
	t.Parallel() // cfn-lint takes seconds
	dir := t.TempDir()
	var files []string
	defaults := stack.Default()
	for _, v := range append(allVariants(), environmentVariants...) {
		if strings.Contains(v.name, "hardened") {
			continue // hardened already, with golden files
		}
		c := v.cfg()
		given := map[string]bool{}
		for _, s := range stack.Settings() {
			given[s.Key] = !slices.Equal(s.Value(c), s.Value(defaults)) || (s.Key == stack.KeyReadOnlyRootFS && c.Service.EnableExec)
		}
		c.Hardened = true
		if !v.environment {
			c.Container.User = "1000"
		}
		c.ApplyHardened(func(key string) bool { return given[key] })
		hv := variant{name: v.name + "-hardened", cfg: func() stack.Config { return c }, environment: v.environment}
		t.Run(v.name, func(t *testing.T) {
			validate := c.Validate
			if v.environment {
				validate = c.ValidateEnvironment
			}
			if err := validate(); err != nil {
				t.Fatal(err)
			}
			doc := hv.document(t)
			checkAWSRules(t, hv.name, doc)

			warnings, applies := c.Warnings(), func(p stack.Place) bool { return p != stack.PlaceEnvironment || !c.Environment.Shared() }
			if v.environment {
				warnings, applies = c.EnvironmentWarnings(), func(p stack.Place) bool { return p != stack.PlaceService }
			}
			broken := map[string]bool{}
			for _, w := range warnings {
				if slices.Contains(w.Related, stack.KeyHardened) {
					id, _, _ := strings.Cut(w.Message[strings.Index(w.Message, "breaks ")+len("breaks "):], " ")
					broken[id] = true
				}
			}
			// A stack without a log group of its own (an environment with
			// a given bucket and web ACL) has nothing for the log and key
			// controls to audit.
			noLogs := len(resourcesOfType(doc, "AWS::Logs::LogGroup")) == 0
			for _, ctl := range stack.Controls() {
				switch {
				case !applies(ctl.Place), broken[ctl.ID],
					noLogs && (strings.HasPrefix(ctl.ID, "CloudWatch.") || strings.HasPrefix(ctl.ID, "cloudwatch-") || strings.HasPrefix(ctl.ID, "KMS.")),
					strings.HasPrefix(ctl.ID, "S3.") && c.LoadBalancer.AccessLogs.Bucket != "",
					strings.HasPrefix(ctl.ID, "WAF.") && c.LoadBalancer.WAFWebACLArn != "":
					continue
				}
				if err := controlChecks[ctl.ID](doc); err != nil {
					t.Errorf("fails %s (%s): %v", ctl.ID, ctl.Title, err)
				}
			}
			body, err := format.YAML(doc)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, hv.name+".yaml")
			if err := os.WriteFile(path, body, 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, path)
		})
	}
	if len(files) > 0 {
		testenv.Lint(t, files...)
	}
}
