package stack_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/format"
)

// Resource types the update-safety invariants talk about.
const (
	typeLoadBalancer  = "AWS::ElasticLoadBalancingV2::LoadBalancer"
	typeTargetGroup   = "AWS::ElasticLoadBalancingV2::TargetGroup"
	typeSecurityGroup = "AWS::EC2::SecurityGroup"
	typeService       = "AWS::ECS::Service"
	typeCluster       = "AWS::ECS::Cluster"
	typeTaskDef       = "AWS::ECS::TaskDefinition"
	typeLogGroup      = "AWS::Logs::LogGroup"
	typeListener      = "AWS::ElasticLoadBalancingV2::Listener"
)

const (
	createOnlyFile = "../testdata/schemas/create-only.json"
	readmeFile     = "../README.md"
)

// updateChange is one change a user can make to an existing stack: the
// stack is emitted with from, then updated with to, and the other way round.
type updateChange struct {
	name     string // the README's Change column
	from, to string // how each side is called in failure messages
	before   func() stack.Config
	after    func() stack.Config
	// beforeValues and afterValues, when not nil, instantiate each
	// side's template for these parameter values (instantiate): the
	// change is a parameter's, and a condition of the template follows it.
	beforeValues, afterValues map[string]string
	// renamesLogGroup marks the one change allowed to replace the log group:
	// its name is derived from the application name.
	renamesLogGroup bool
	// strategyStays marks the one change where the service may keep its
	// capacity provider strategy when the new template has none, and says
	// why; the table shows it.
	strategyStays string
	// movesLoadBalancer marks the change that takes the service from a
	// load balancer of its own to an environment's, or back: one stack's
	// load balancer goes away and the other's serves the traffic.
	movesLoadBalancer bool
	// switchesStrategy marks a change between rolling and a blue/green
	// strategy, and says why it does not interrupt traffic: the second
	// target group it adds or removes serves no traffic then (the deploy
	// command refuses to drop it while it does), which the rules here cannot
	// see. The table shows it.
	switchesStrategy string
	// earlier, when set, is the old side instead of before: a template an
	// earlier cfnfargate emitted, in testdata/upgrade.
	earlier string
	// environment builds after (and before) as an environment's stack.
	environment bool
}

// documents returns the old and the new template of c.
func (c updateChange) documents(t *testing.T) (before, after format.Document) {
	t.Helper()
	after = variant{cfg: c.after, environment: c.environment, parameters: c.afterValues}.document(t)
	if c.earlier == "" {
		return variant{cfg: c.before, environment: c.environment, parameters: c.beforeValues}.document(t), after
	}
	raw, err := os.ReadFile("../testdata/upgrade/" + c.earlier)
	if err != nil {
		t.Fatal(err)
	}
	before, err = format.Parse(raw)
	if err != nil {
		t.Fatalf("%s: %v", c.earlier, err)
	}
	return before, after
}

// variantWith returns a config function: the named variant changed by edit.
func variantWith(name string, edit func(*stack.Config)) func() stack.Config {
	return func() stack.Config {
		for _, v := range allVariants() {
			if v.name == name {
				c := v.cfg()
				edit(&c)
				return c
			}
		}
		panic("no variant " + name)
	}
}

// unhardened returns a config function: the golden variant called name
// without --hardened, and with the defaults of the settings it sets. The
// container's user stays: it is a setting of its own.
func unhardened(name string) func() stack.Config {
	return func() stack.Config {
		c, d := named(name)(), stack.Default()
		c.Hardened = false
		c.Logs.RetentionDays = d.Logs.RetentionDays
		c.DeletionProtection = d.DeletionProtection
		c.Container.ReadOnlyRootFilesystem = d.Container.ReadOnlyRootFilesystem
		c.Service.PublicTasks = d.Service.PublicTasks
		c.Service.ContainerInsights = d.Service.ContainerInsights
		return c
	}
}

// with returns a config function: the default settings changed by edit.
func with(edit func(*stack.Config)) func() stack.Config {
	return func() stack.Config {
		c := stack.Default()
		edit(&c)
		return c
	}
}

// feature turns one variant of variants_test.go on and off.
func feature(name, variant string) updateChange {
	var cfg func() stack.Config
	for _, v := range allVariants() {
		if v.name == variant {
			cfg = v.cfg
		}
	}
	if cfg == nil {
		panic("no variant " + variant)
	}
	return updateChange{name: name, from: "off", to: "on", before: stack.Default, after: cfg}
}

// updateChanges are the rows of the README's update-safety table. Each
// setting changes alone, from the defaults, except where Validate needs a
// companion setting (an internal load balancer needs --allow-cidr).
var updateChanges = []updateChange{
	{name: "`--environment` (a dedicated load balancer to a shared environment)", from: "dedicated", to: "environment", before: stack.Default,
		after: with(func(c *stack.Config) {
			c.Environment = stack.Environment{Name: "prod", Hosts: []string{"app.example.com"}}
		}), movesLoadBalancer: true},
	{name: "`--name`", from: "example-app", to: "other-app", before: stack.Default,
		after: with(func(c *stack.Config) { c.Name = "other-app" }), renamesLogGroup: true},
	{name: "`--image` (a new tag)", from: stack.DefaultImage, to: "public.ecr.aws/nginx/nginx:1.29", before: stack.Default,
		after: with(func(c *stack.Config) { c.Container.Image = "public.ecr.aws/nginx/nginx:1.29" })},
	{name: "`--container-port`", from: "80", to: "8080", before: stack.Default,
		after: with(func(c *stack.Config) { c.Container.Port = 8080 })},
	{name: "`--cpu`, `--memory`", from: "256/512", to: "1024/2048", before: stack.Default,
		after: with(func(c *stack.Config) { c.Container.CPU, c.Container.Memory = 1024, 2048 })},
	{name: "`--desired-count`", from: "1", to: "3", before: stack.Default,
		after: with(func(c *stack.Config) { c.Service.DesiredCount = 3 })},
	{name: "`--public-tasks` on/off", from: "off", to: "on", before: stack.Default,
		after: with(func(c *stack.Config) { c.Service.PublicTasks = true })},
	{name: "`--internal` on/off (same `--allow-cidr`)", from: "internet-facing", to: "internal",
		before: with(func(c *stack.Config) { c.LoadBalancer.AllowCIDRs = []string{"10.0.0.0/8"} }),
		after: with(func(c *stack.Config) {
			c.LoadBalancer.AllowCIDRs = []string{"10.0.0.0/8"}
			c.LoadBalancer.Internal = true
		})},
	{name: "`--allow-cidr` on/off", from: "anywhere", to: "203.0.113.0/24", before: stack.Default,
		after: with(func(c *stack.Config) { c.LoadBalancer.AllowCIDRs = []string{"203.0.113.0/24"} })},
	{name: "`--allow-cidr` another network", from: "203.0.113.0/24", to: "198.51.100.0/24",
		before: with(func(c *stack.Config) { c.LoadBalancer.AllowCIDRs = []string{"203.0.113.0/24"} }),
		after:  with(func(c *stack.Config) { c.LoadBalancer.AllowCIDRs = []string{"198.51.100.0/24"} })},
	{name: "`--dualstack` on/off", from: "off", to: "on", before: stack.Default,
		after: with(func(c *stack.Config) { c.LoadBalancer.DualStack = true })},
	{name: "`--certificate-arn` on/off (HTTP only to HTTPS)", from: "HTTP only", to: "HTTPS", before: stack.Default, after: stack.Default,
		beforeValues: map[string]string{stack.ParamCertificateArn: ""},
		afterValues:  map[string]string{stack.ParamCertificateArn: exampleCertificate}},
	feature("`--spot` on/off", "spot"),
	feature("`--domain-name` on/off", "domain"),
	feature("`--deletion-protection` on/off", "deletion-protection"),
	feature("`--internal --dualstack --allow-cidr` on/off", "internal"),
	feature("Autoscaling on/off", "autoscaling"),
	feature("`--secret` on/off", "secrets"),
	feature("`--enable-exec` on/off", "exec"),
	feature("`--arch arm64` on/off", "arm64"),
	feature("ALB access logs on/off", "access-logs"),
	feature("`--waf-acl-arn` on/off", "waf"),
	feature("Deployment tuning on/off", "deployment-tuning"),
	feature("`--container-health-check` on/off", "container-health-check"),
	feature("`--cluster` (existing cluster) on/off", "existing-cluster"),
	{name: "`--spot` on/off with `--cluster`", from: "off", to: "on",
		before: variantWith("existing-cluster", func(c *stack.Config) {}),
		after:  variantWith("existing-cluster", func(c *stack.Config) { c.Service.Spot.Enabled = true }),
		// An existing cluster may lack the Fargate capacity providers, so
		// without Spot the service keeps the launch type that works in any
		// cluster; emit warns about this with --spot --cluster.
		strategyStays: "turning Spot off leaves the service on its Spot strategy: ECS cannot move a service back to a launch type (emit warns)"},
	feature("`--read-only-root-fs` with writable paths, storage and platform version on/off", "read-only-root-fs"),
	feature("Stickiness, idle timeout, HTTP/2 on/off", "stickiness"),
	{name: "`--hardened` on/off", from: "off", to: "on", before: unhardened("hardened"), after: named("hardened")},
	{name: "`env deploy --hardened` on/off", from: "off", to: "on", before: unhardened("environment-hardened"), after: named("environment-hardened"), environment: true},
	{name: "`--hardened` on/off for a service in an environment", from: "off", to: "on", before: unhardened("env-service-hardened"), after: named("env-service-hardened")},
	feature("`--tag` on/off", "tags"),
	{name: "`--strategy blue-green` on/off (from rolling)", from: "rolling", to: "blue-green", before: stack.Default,
		after: variantWith("blue-green", func(c *stack.Config) {}), switchesStrategy: blueGreenSwitch},
	{name: "`--strategy canary` with `--pause-before-production`, `--test-header` and rollback alarms on/off", from: "rolling", to: "canary", before: stack.Default,
		after: variantWith("canary", func(c *stack.Config) {}), switchesStrategy: blueGreenSwitch},
	{name: "`--strategy blue-green` on/off with autoscaling on requests", from: "rolling", to: "blue-green",
		before: variantWith("blue-green-autoscaling", func(c *stack.Config) { c.Deployment.Strategy = stack.StrategyRolling }),
		after:  variantWith("blue-green-autoscaling", func(c *stack.Config) {}), switchesStrategy: blueGreenSwitch},
	{name: "`--strategy blue-green` to `linear` or `canary`", from: "blue-green", to: "linear",
		before: variantWith("blue-green", func(c *stack.Config) {}),
		after: variantWith("blue-green", func(c *stack.Config) {
			c.Deployment.Strategy = stack.StrategyLinear
		})},
	{name: "`--strategy canary` on/off in an environment", from: "rolling", to: "canary",
		before: func() stack.Config {
			c := named("env-service-canary")()
			c.Deployment = stack.Default().Deployment
			c.Deployment.Rollback5xxPercent = 1
			return c
		},
		after: named("env-service-canary"), switchesStrategy: blueGreenSwitch},
	// Issue 18, F1: an environment's services share one security group.
	{name: "`env deploy` of an environment made before the services' shared security group", from: "earlier", to: "now",
		earlier: "environment-dca1afa.json", after: named("environment"), environment: true},
	{name: "`deploy` of a service in an environment made before the services' shared security group (after `env deploy`)", from: "earlier", to: "now",
		earlier: "env-service-dca1afa.json", after: named("env-service")},
}

// blueGreenSwitch is the traffic column of a switch between rolling and a
// blue/green strategy.
const blueGreenSwitch = "no: the production rule starts with all traffic on the target group that serves it, and ECS runs a blue/green deployment; back to rolling, `deploy` refuses while the traffic is on the alternate target group (one more blue/green deployment moves it back)"

// TestUpdateSafety proves that no change in updateChanges, made to an
// existing stack in either direction, makes CloudFormation replace a
// resource in a way that fails the update or drops traffic needlessly; and
// that the README's table of replacements is the one these predictions give.
//
// The prediction (predictUpdate) follows the resource schemas'
// createOnlyProperties, extracted from cfn-lint into
// testdata/schemas/create-only.json by go generate ./stack:
//
//   - a logical ID only in the old template is removed, only in the new one
//     added; one whose type changed is both;
//   - a resource in both is replaced when the normalized JSON of any of its
//     create-only properties differs (a property present on one side only
//     counts; /properties/A/B paths walk nested maps, * every list item);
//   - it is also replaced when a create-only value, unchanged as text, refers
//     (Ref, Fn::GetAtt, Fn::Sub ${X} or ${X.Attr}) to a resource that is
//     replaced or removed, since the physical ID or attribute it resolves to
//     changes; this propagates to a fixpoint;
//   - or when it refers to a parameter whose Default changed (cfnfargate
//     passes settings such as --image as parameter defaults) or to a condition
//     (Fn::If) whose definition or inputs changed.
//
// Each direction of each change must keep these invariants:
//
//   - no target group is replaced or removed under a kept load balancer (the
//     listener would forward to an empty group: 503s until tasks register);
//   - a load balancer that is replaced, added or removed brings new target
//     groups: ELB allows one load balancer per target group, so the new
//     listener could not forward to the old one (ALB quotas, "Load balancers per target group: 1");
//   - no security group is replaced under a kept load balancer (brief 5xx
//     while the rules follow the new group);
//   - a service updated in place never loses its CapacityProviderStrategy:
//     without the property CloudFormation leaves the strategy as it was
//     (AWS::ECS::Service reference); a replaced service starts afresh;
//   - only a change of --name may replace the log group: a replaced group is
//     deleted with its logs, or kept and in the way of a later rename.
func TestUpdateSafety(t *testing.T) {
	createOnly := loadCreateOnly(t)
	rows := make([]string, 0, len(updateChanges))
	for _, c := range updateChanges {
		t.Run(c.name, func(t *testing.T) {
			before, after := c.documents(t)
			forward := predictUpdate(t, createOnly.CreateOnlyProperties, before, after)
			backward := predictUpdate(t, createOnly.CreateOnlyProperties, after, before)
			for _, d := range []struct {
				direction string
				plan      updatePlan
			}{{c.from + " → " + c.to, forward}, {c.to + " → " + c.from, backward}} {
				for _, problem := range d.plan.violations(c.renamesLogGroup, c.strategyStays != "", c.switchesStrategy != "") {
					t.Errorf("%s, %s: %s", c.name, d.direction, problem)
				}
			}
			rows = append(rows, tableRow(c, forward, backward))
		})
	}
	if len(rows) != len(updateChanges) {
		return // -run picked some changes only: the table would be partial
	}
	t.Run("README", func(t *testing.T) {
		table := "| Change | Resources replaced | Interrupts traffic? |\n|---|---|---|\n" +
			strings.Join(rows, "") +
			fmt.Sprintf("\nPredicted from the `createOnlyProperties` of the resource schemas in cfn-lint %s.\n", createOnly.CfnLint)
		checkReadmeSection(t, table)
	})
}

// createOnlySchemas is testdata/schemas/create-only.json, written by
// internal/schemagen.
type createOnlySchemas struct {
	CfnLint              string              `json:"cfnLintVersion"`
	CreateOnlyProperties map[string][]string `json:"createOnlyProperties"`
}

func loadCreateOnly(t *testing.T) createOnlySchemas {
	t.Helper()
	raw, err := os.ReadFile(createOnlyFile)
	if err != nil {
		t.Fatalf("%v (run go generate ./stack)", err)
	}
	var s createOnlySchemas
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("%s: %v", createOnlyFile, err)
	}
	return s
}

// resource is one entry of a template's Resources.
type resource struct {
	Type       string
	Properties map[string]any
	Retained   bool // UpdateReplacePolicy: Retain
	// waitsFor are the resources CloudFormation creates or updates before
	// this one: those it names in DependsOn or refers to anywhere.
	waitsFor map[string]bool
}

func resourcesOf(doc format.Document) map[string]resource {
	out := map[string]resource{}
	all, _ := doc["Resources"].(map[string]any)
	for id, r := range all {
		m, _ := r.(map[string]any)
		typ, _ := m["Type"].(string)
		props, _ := m["Properties"].(map[string]any)
		waitsFor := map[string]bool{}
		collectReferences(m, waitsFor)
		switch d := m["DependsOn"].(type) {
		case string:
			waitsFor[d] = true
		case []any:
			for _, item := range d {
				waitsFor[fmt.Sprint(item)] = true
			}
		}
		out[id] = resource{Type: typ, Properties: props, Retained: m["UpdateReplacePolicy"] == "Retain", waitsFor: waitsFor}
	}
	return out
}

// redirectsToHTTPS reports whether a listener's default action redirects
// to HTTPS.
func redirectsToHTTPS(r resource) bool {
	actions, _ := r.Properties["DefaultActions"].([]any)
	for _, a := range actions {
		if at2(a, "Type") == "redirect" && at2(a, "RedirectConfig", "Protocol") == "HTTPS" {
			return true
		}
	}
	return false
}

// updatePlan is what CloudFormation does to each resource when a stack of
// the old template is updated to the new one.
type updatePlan struct {
	old, new map[string]resource
	replaced map[string]string // logical ID: why
	added    []string
	removed  []string
}

// predictUpdate predicts the plan of an update from old to new; see
// TestUpdateSafety for the rules.
func predictUpdate(t *testing.T, createOnly map[string][]string, before, after format.Document) updatePlan {
	t.Helper()
	p := updatePlan{old: resourcesOf(before), new: resourcesOf(after), replaced: map[string]string{}}
	gone := map[string]bool{} // removed, or the same ID with another type
	for id, r := range p.old {
		if n, ok := p.new[id]; !ok || n.Type != r.Type {
			p.removed = append(p.removed, id)
			gone[id] = true
		}
	}
	for id, r := range p.new {
		if o, ok := p.old[id]; !ok || o.Type != r.Type {
			p.added = append(p.added, id)
		}
		if _, ok := createOnly[r.Type]; !ok {
			t.Fatalf("%s has no createOnlyProperties in %s: run go generate ./stack", r.Type, createOnlyFile)
		}
	}
	slices.Sort(p.added)
	slices.Sort(p.removed)

	changedInputs := changedParametersAndConditions(before, after)
	var kept []string
	for id, r := range p.new {
		if !gone[id] && p.old[id].Type == r.Type {
			kept = append(kept, id)
		}
	}
	slices.Sort(kept)

	// First the resources whose create-only values differ, or refer to an
	// input whose value changes.
	for _, id := range kept {
		for _, path := range createOnly[p.new[id].Type] {
			was, is := valueAt(p.old[id].Properties, path), valueAt(p.new[id].Properties, path)
			if canonical(was) != canonical(is) {
				p.replaced[id] = fmt.Sprintf("%s changes from %s to %s", path, canonical(was), canonical(is))
				break
			}
			if in := firstReferenced(is, changedInputs); in != "" {
				p.replaced[id] = fmt.Sprintf("%s refers to %s, whose value changes", path, in)
				break
			}
		}
	}
	// Then the resources whose create-only values refer to a resource that
	// gets a new physical ID, until nothing changes.
	for changed := true; changed; {
		changed = false
		renewed := maps.Clone(gone)
		for id := range p.replaced {
			renewed[id] = true
		}
		for _, id := range kept {
			if _, ok := p.replaced[id]; ok {
				continue
			}
			for _, path := range createOnly[p.new[id].Type] {
				is := valueAt(p.new[id].Properties, path)
				if target := firstReferenced(is, renewed); target != "" {
					p.replaced[id] = fmt.Sprintf("%s refers to %s, which is replaced", path, target)
					changed = true
					break
				}
			}
		}
	}
	return p
}

// changedParametersAndConditions lists the parameters whose Default differs
// between the templates, and the conditions ("Condition:Name") whose
// definition differs or uses a changed parameter or condition.
func changedParametersAndConditions(before, after format.Document) map[string]bool {
	changed := map[string]bool{}
	oldParams, _ := before["Parameters"].(map[string]any)
	newParams, _ := after["Parameters"].(map[string]any)
	for name, p := range newParams {
		o, ok := oldParams[name].(map[string]any)
		if !ok || canonical(o["Default"]) != canonical(p.(map[string]any)["Default"]) {
			changed[name] = true
		}
	}
	oldConds, _ := before["Conditions"].(map[string]any)
	newConds, _ := after["Conditions"].(map[string]any)
	for more := true; more; {
		more = false
		for name, c := range newConds {
			key := "Condition:" + name
			if !changed[key] && (canonical(oldConds[name]) != canonical(c) || firstReferenced(c, changed) != "") {
				changed[key] = true
				more = true
			}
		}
	}
	return changed
}

// valueAt returns the value at a create-only path such as /properties/A/B
// (a JSON pointer, with * for every item of a list) in props. A missing value
// is nil, and an intrinsic function met on the way is returned whole.
func valueAt(props map[string]any, path string) any {
	unescape := strings.NewReplacer("~1", "/", "~0", "~")
	var v any = props
	segments := strings.Split(strings.TrimPrefix(path, "/properties/"), "/")
	for i, seg := range segments {
		seg = unescape.Replace(seg)
		switch x := v.(type) {
		case map[string]any:
			if isIntrinsic(x) {
				return x
			}
			v = x[seg]
		case []any:
			if seg != "*" {
				return nil
			}
			items := make([]any, len(x))
			rest := "/properties/" + strings.Join(segments[i+1:], "/")
			for j, item := range x {
				if m, ok := item.(map[string]any); ok {
					items[j] = valueAt(m, rest)
				} else {
					items[j] = item
				}
			}
			return items
		default:
			return nil
		}
	}
	return v
}

func isIntrinsic(m map[string]any) bool {
	if len(m) != 1 {
		return false
	}
	for k := range m {
		return k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

// canonical is v as JSON with sorted keys and plain numbers.
func canonical(v any) string {
	raw, _ := json.Marshal(normalize(v))
	return string(raw)
}

// subVariable is ${X} or ${X.Attr} in Fn::Sub; ${!X} is a literal.
var subVariable = regexp.MustCompile(`\$\{([^!}][^}.]*)(\.[^}]*)?\}`)

// firstReferenced returns, in sorted order, the first name in names that v
// refers to through Ref, Fn::GetAtt, Fn::Sub, or (as "Condition:Name")
// Fn::If and Condition; or "" when there is none.
func firstReferenced(v any, names map[string]bool) string {
	found := map[string]bool{}
	collectReferences(v, found)
	var hits []string
	for n := range found {
		if names[n] {
			hits = append(hits, n)
		}
	}
	slices.Sort(hits)
	if len(hits) == 0 {
		return ""
	}
	return hits[0]
}

func collectReferences(v any, found map[string]bool) {
	switch x := v.(type) {
	case []any:
		for _, item := range x {
			collectReferences(item, found)
		}
	case map[string]any:
		for k, arg := range x {
			switch k {
			case "Ref":
				if s, ok := arg.(string); ok {
					found[s] = true
				}
			case "Condition":
				if s, ok := arg.(string); ok {
					found["Condition:"+s] = true
				}
			case "Fn::GetAtt":
				switch a := arg.(type) {
				case string:
					found[strings.SplitN(a, ".", 2)[0]] = true
				case []any:
					if len(a) > 0 {
						if s, ok := a[0].(string); ok {
							found[s] = true
						}
					}
				}
			case "Fn::If":
				if a, ok := arg.([]any); ok && len(a) > 0 {
					if s, ok := a[0].(string); ok {
						found["Condition:"+s] = true
					}
				}
			case "Fn::Sub":
				body, vars := arg, map[string]any{}
				if a, ok := arg.([]any); ok && len(a) == 2 {
					body = a[0]
					vars, _ = a[1].(map[string]any)
				}
				if s, ok := body.(string); ok {
					for _, m := range subVariable.FindAllStringSubmatch(s, -1) {
						if _, local := vars[m[1]]; !local {
							found[m[1]] = true
						}
					}
				}
				collectReferences(vars, found)
				continue
			}
			collectReferences(arg, found)
		}
	}
}

// ofType lists the logical IDs of resources of type typ, sorted.
func ofType(resources map[string]resource, typ string) []string {
	var ids []string
	for id, r := range resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func (p updatePlan) isAdded(id string) bool   { return slices.Contains(p.added, id) }
func (p updatePlan) isRemoved(id string) bool { return slices.Contains(p.removed, id) }

// keptLoadBalancer returns a load balancer that keeps its logical ID and is
// not replaced, or "".
func (p updatePlan) keptLoadBalancer() string {
	for _, id := range ofType(p.new, typeLoadBalancer) {
		if _, replaced := p.replaced[id]; !replaced && !p.isAdded(id) {
			return id
		}
	}
	return ""
}

// renewed lists the resources of type typ that get new physical IDs:
// replaced, or removed while another of the type is added (a new logical ID).
func (p updatePlan) renewed(typ string) []string {
	var ids []string
	for _, id := range ofType(p.old, typ) {
		if _, ok := p.replaced[id]; ok {
			ids = append(ids, id)
		}
	}
	if renamed := p.renamed(typ); len(renamed) > 0 {
		ids = append(ids, renamed...)
	}
	return ids
}

// renamed lists "Old → New" for removed resources of type typ that have an
// added resource of the same type, paired in sorted order.
func (p updatePlan) renamed(typ string) []string {
	var gone, came []string
	for _, id := range p.removed {
		if p.old[id].Type == typ {
			gone = append(gone, id)
		}
	}
	for _, id := range p.added {
		if p.new[id].Type == typ {
			came = append(came, id)
		}
	}
	var out []string
	for i := 0; i < len(gone) && i < len(came); i++ {
		out = append(out, gone[i]+" → "+came[i])
	}
	return out
}

// violations lists the invariants of TestUpdateSafety this plan breaks.
func (p updatePlan) violations(renamesLogGroup, strategyMayStay, switchesStrategy bool) []string {
	var problems []string
	lb := p.keptLoadBalancer()
	if lb != "" {
		for _, id := range ofType(p.old, typeTargetGroup) {
			if why, ok := p.replaced[id]; ok {
				problems = append(problems, fmt.Sprintf("target group %s is replaced (%s) under the kept load balancer %s: the listener forwards to an empty group until new tasks pass health checks", id, why, lb))
			} else if p.isRemoved(id) && !(switchesStrategy && strings.HasSuffix(id, "Alternate")) {
				problems = append(problems, fmt.Sprintf("target group %s is removed under the kept load balancer %s", id, lb))
			}
		}
		for _, id := range ofType(p.old, typeSecurityGroup) {
			if why, ok := p.replaced[id]; ok {
				problems = append(problems, fmt.Sprintf("security group %s is replaced (%s) under the kept load balancer %s: brief 5xx while the rules move to the new group", id, why, lb))
			}
		}
	}

	var lbChanges []string
	for _, id := range ofType(p.old, typeLoadBalancer) {
		if why, ok := p.replaced[id]; ok {
			lbChanges = append(lbChanges, fmt.Sprintf("%s is replaced (%s)", id, why))
		} else if p.isRemoved(id) {
			lbChanges = append(lbChanges, id+" is removed")
		}
	}
	for _, id := range ofType(p.new, typeLoadBalancer) {
		if p.isAdded(id) {
			lbChanges = append(lbChanges, id+" is added")
		}
	}
	if len(lbChanges) > 0 {
		for _, id := range ofType(p.new, typeTargetGroup) {
			if _, replaced := p.replaced[id]; !replaced && !p.isAdded(id) {
				problems = append(problems, fmt.Sprintf("load balancer %s, but target group %s is kept: ELB allows one load balancer per target group, so the new listener cannot use it", strings.Join(lbChanges, "; "), id))
			}
		}
	}

	for _, id := range ofType(p.old, typeService) {
		if _, ok := p.old[id].Properties["CapacityProviderStrategy"]; !ok || strategyMayStay {
			continue
		}
		// A replaced or new service is created with the new template's
		// settings; only an update in place keeps the old strategy.
		if _, replaced := p.replaced[id]; replaced || p.isRemoved(id) {
			continue
		}
		if _, ok := p.new[id].Properties["CapacityProviderStrategy"]; !ok {
			problems = append(problems, fmt.Sprintf("service %s loses its CapacityProviderStrategy: CloudFormation reads a missing one as \"leave it\", so the service stays on the old strategy", id))
		}
	}

	// A listener that starts to redirect to HTTPS must wait for an HTTPS
	// listener the same update adds: CloudFormation updates resources that
	// do not depend on each other in any order, and meanwhile port 80
	// would send clients to a port nobody listens on.
	for _, id := range ofType(p.new, typeListener) {
		if p.isAdded(id) || !redirectsToHTTPS(p.new[id]) || redirectsToHTTPS(p.old[id]) {
			continue
		}
		for _, https := range ofType(p.new, typeListener) {
			if p.isAdded(https) && p.new[https].Properties["Protocol"] == "HTTPS" && !p.new[id].waitsFor[https] {
				problems = append(problems, fmt.Sprintf("listener %s starts to redirect to HTTPS without waiting for %s, which the update creates", id, https))
			}
		}
	}

	if !renamesLogGroup {
		for _, id := range ofType(p.old, typeLogGroup) {
			if why, ok := p.replaced[id]; ok {
				problems = append(problems, fmt.Sprintf("log group %s is replaced (%s) by a change that is not --name", id, why))
			}
		}
		for _, r := range p.renamed(typeLogGroup) {
			problems = append(problems, fmt.Sprintf("log group %s gets a new logical ID by a change that is not --name", r))
		}
	}
	return problems
}

// impact is what a plan does to traffic, as the README's "Interrupts
// traffic?" column says it. The rules are checked most disruptive first and
// the first that holds decides:
//
//   - a new load balancer has a new DNS name: clients, and the domain's
//     alias record, move to it;
//   - a new service (or cluster) starts its tasks from scratch beside the
//     old one, which is then deleted;
//   - a new target group under a kept load balancer is empty until new tasks
//     pass health checks: 503s;
//   - a new security group under a kept load balancer: brief 5xx while the
//     rules follow it;
//   - a new task definition is an ordinary rolling deployment: no.
//
// A replaced security-group rule alone is no interruption: CloudFormation
// creates the new rule (its ports or peer differ, so both can exist) and
// deletes the old one only at cleanup. A replaced log group interrupts
// nothing, but its old logs are deleted unless both templates retain it.
// A lower rank is a worse impact.
func impact(p updatePlan) (rank int, text string) {
	lb := p.keptLoadBalancer()
	switch {
	case len(ofType(p.old, typeLoadBalancer)) != len(ofType(p.new, typeLoadBalancer)):
		rank, text = 0, "yes: the service moves to another stack's load balancer, with its DNS name, as a new service in its cluster; repoint the domain"
	case len(p.renewed(typeLoadBalancer)) > 0:
		rank, text = 0, "yes: a new load balancer, with a new DNS name"
	case len(p.renewed(typeCluster)) > 0 || len(p.renewed(typeService)) > 0:
		rank, text = 1, "likely: a new service starts its tasks from scratch"
	case lb != "" && len(p.renewed(typeTargetGroup)) > 0:
		rank, text = 2, "yes: 503s until the new target group has a healthy task"
	case lb != "" && len(p.renewed(typeSecurityGroup)) > 0:
		rank, text = 3, "yes: brief 5xx while the rules move to the new security group"
	case len(p.renewed(typeTaskDef)) > 0:
		rank, text = 4, "no: a rolling deployment"
	default:
		rank, text = 5, "no"
	}
	for _, id := range ofType(p.old, typeLogGroup) {
		if _, ok := p.replaced[id]; !ok {
			continue
		}
		switch {
		case p.old[id].Retained && p.new[id].Retained:
			text += "; the old log group is kept"
		case p.old[id].Retained || p.new[id].Retained:
			text += "; the old log group may be deleted, with its logs"
		default:
			text += "; the old log group is deleted, with its logs"
		}
	}
	return rank, text
}

// tableRow is the README row of change c: the resources replaced in either
// direction, and the worse direction's impact.
func tableRow(c updateChange, forward, backward updatePlan) string {
	var ids []string
	for _, p := range []updatePlan{forward, backward} {
		for id := range p.replaced {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	var cells []string
	for _, id := range ids {
		cells = append(cells, "`"+id+"`")
	}
	// New logical IDs for the same type, named as in the forward direction.
	var types []string
	for _, id := range forward.removed {
		if !slices.Contains(types, forward.old[id].Type) {
			types = append(types, forward.old[id].Type)
		}
	}
	for _, typ := range types {
		for _, r := range forward.renamed(typ) {
			from, to, _ := strings.Cut(r, " → ")
			cells = append(cells, "`"+from+"` → `"+to+"`")
		}
	}
	replaced := "none"
	if len(cells) > 0 {
		replaced = strings.Join(cells, ", ")
	}
	rank, text := impact(forward)
	if r, t := impact(backward); r < rank {
		text = t
	}
	if c.strategyStays != "" {
		text += "; " + c.strategyStays
	}
	// A listener that goes from a load balancer that stays: its port stops
	// answering (hardened drops the port 80 redirect).
	for _, d := range []struct {
		plan updatePlan
		to   string
	}{{forward, c.to}, {backward, c.from}} {
		for _, id := range d.plan.removed {
			if d.plan.old[id].Type == "AWS::ElasticLoadBalancingV2::Listener" && d.plan.keeps(typeLoadBalancer) {
				text += fmt.Sprintf("; %s, `%s` goes: the load balancer no longer answers on port %v", d.to, id, d.plan.old[id].Properties["Port"])
			}
		}
	}
	if c.switchesStrategy != "" {
		// Only the second target group is new or gone, and it serves no
		// traffic then; anything worse than that would still show.
		if rank >= 2 && len(forward.replaced) == 0 && len(backward.replaced) == 0 {
			text = c.switchesStrategy
		} else {
			text += "; " + c.switchesStrategy
		}
	}
	return fmt.Sprintf("| %s | %s | %s |\n", c.name, replaced, text)
}

// keeps reports whether the plan keeps every resource of type typ: none is
// replaced, removed or added.
func (p updatePlan) keeps(typ string) bool {
	for id, r := range p.old {
		if _, replaced := p.replaced[id]; r.Type == typ && (replaced || slices.Contains(p.removed, id)) {
			return false
		}
	}
	for _, id := range p.added {
		if p.new[id].Type == typ {
			return false
		}
	}
	return true
}

// checkReadmeSection compares table with README.md between the
// update-safety markers, or with -update rewrites that section.
func checkReadmeSection(t *testing.T, table string) {
	t.Helper()
	testenv.READMESection(t, readmeFile, "update-safety", table, *update)
}

// TestPredictUpdate proves the replacement rules of predictUpdate on small
// templates: a create-only change replaces, any other change does not, and a
// replacement spreads through Ref, Fn::GetAtt and Fn::Sub (but not through
// an Fn::Sub variable of the same name), as do a changed type and a changed
// parameter default.
func TestPredictUpdate(t *testing.T) {
	createOnly := map[string][]string{
		"Test::LB":       {"/properties/Scheme"},
		"Test::Listener": {"/properties/LoadBalancerArn"},
		"Test::Other":    {"/properties/Peer/Id"},
	}
	type res = map[string]any
	doc := func(params res, resources res) format.Document {
		return format.Document{"Parameters": params, "Resources": resources}
	}
	lb := func(scheme string) res {
		return res{"Type": "Test::LB", "Properties": res{"Scheme": scheme, "Idle": 60}}
	}
	listener := res{"Type": "Test::Listener", "Properties": res{"LoadBalancerArn": ref("LB")}}
	other := func(peer any) res { return res{"Type": "Test::Other", "Properties": res{"Peer": res{"Id": peer}}} }
	tests := []struct {
		name                     string
		before, after            format.Document
		replaced, added, removed []string
	}{
		{"a change to a property that is not create-only replaces nothing",
			doc(nil, res{"LB": lb("a"), "L": listener}),
			doc(nil, res{"LB": res{"Type": "Test::LB", "Properties": res{"Scheme": "a", "Idle": 120}}, "L": listener}),
			nil, nil, nil},
		{"a create-only change replaces the resource and, through Ref, what refers to it",
			doc(nil, res{"LB": lb("a"), "L": listener, "O": other("fixed")}),
			doc(nil, res{"LB": lb("b"), "L": listener, "O": other("fixed")}),
			[]string{"L", "LB"}, nil, nil},
		{"a nested create-only path compares the nested value",
			doc(nil, res{"O": other("x")}), doc(nil, res{"O": other("y")}),
			[]string{"O"}, nil, nil},
		{"Fn::GetAtt and Fn::Sub spread a replacement, to a fixpoint",
			doc(nil, res{"LB": lb("a"), "O": other(getAtt("LB", "Arn")), "P": other(map[string]any{"Fn::Sub": "x/${O}"})}),
			doc(nil, res{"LB": lb("b"), "O": other(getAtt("LB", "Arn")), "P": other(map[string]any{"Fn::Sub": "x/${O}"})}),
			[]string{"LB", "O", "P"}, nil, nil},
		{"an Fn::Sub variable shadows the resource of the same name",
			doc(nil, res{"LB": lb("a"), "O": other(map[string]any{"Fn::Sub": []any{"${LB}", res{"LB": "fixed"}}})}),
			doc(nil, res{"LB": lb("b"), "O": other(map[string]any{"Fn::Sub": []any{"${LB}", res{"LB": "fixed"}}})}),
			[]string{"LB"}, nil, nil},
		{"a new type under the same logical ID is removed and added, and replaces what refers to it",
			doc(nil, res{"LB": lb("a"), "L": listener}),
			doc(nil, res{"LB": other("x"), "L": listener}),
			[]string{"L"}, []string{"LB"}, []string{"LB"}},
		{"a changed parameter default replaces what refers to it",
			doc(res{"Image": res{"Default": "v1"}}, res{"O": other(ref("Image"))}),
			doc(res{"Image": res{"Default": "v2"}}, res{"O": other(ref("Image"))}),
			[]string{"O"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := predictUpdate(t, createOnly, tt.before, tt.after)
			replaced := slices.Sorted(maps.Keys(p.replaced))
			assertEqual(t, "replaced", replaced, tt.replaced)
			assertEqual(t, "added", p.added, tt.added)
			assertEqual(t, "removed", p.removed, tt.removed)
		})
	}
}
