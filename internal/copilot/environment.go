package copilot

import (
	"fmt"
	"strings"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"
	"gopkg.in/yaml.v3"

	"github.com/cfnfargate/cfnfargate/stack"
)

// The container's environment: variables, env_file and secrets.

// envNamePattern is what Copilot and ECS take as a variable name.
var envNamePattern = lazyregexp.New(`^[A-Za-z_][A-Za-z0-9_]*$`)

// environment maps variables, env_file and secrets.
func (im *importer) environment() {
	vars := map[string]string{}
	styles := map[string]yaml.Style{}
	var order []string
	add := func(name, value string) {
		if _, ok := vars[name]; !ok {
			order = append(order, name)
		}
		vars[name] = value
		delete(styles, name)
	}
	firstLine := 0

	if f, ok := im.root.get("env_file"); ok {
		firstLine = f.line()
		for _, kv := range im.envFile(f) {
			add(kv[0], kv[1])
		}
	}
	// variables win over the env_file: "If there are environment variables
	// specified using the environment parameter in a container definition,
	// they take precedence over the variables contained within an
	// environment file" (ECS API reference, EnvironmentFile).
	if v, ok := im.root.get("variables"); ok && !v.isNull() {
		if firstLine == 0 {
			firstLine = v.line()
		}
		if !v.isMap() {
			im.addProblem(ptr(v.wrongType("a map of variable names to values")))
		}
		for _, e := range v.entries() {
			switch {
			case e.value.isMap():
				im.report(Unsupported, e.value, "takes its value from a CloudFormation export (from_cfn): look it up (aws cloudformation list-exports) and give the value in the config's env")
			case e.value.isScalar():
				add(e.name, e.value.Value)
				styles[e.name] = e.value.Style & (yaml.SingleQuotedStyle | yaml.DoubleQuotedStyle)
			case e.value.isNull():
				add(e.name, "")
			default:
				im.addProblem(ptr(e.value.wrongType("a string, a number or true/false")))
			}
		}
	}
	// Copilot gives every task these variables (variables in
	// lb-web-service.en.md, "Copilot will include a number of environment
	// variables by default"); code that reads them keeps working.
	// The base values of a manifest with environments leave the
	// environment's name to each layer.
	builtins := [][2]string{{"COPILOT_APPLICATION_NAME", im.opts.App}, {"COPILOT_ENVIRONMENT_NAME", im.env}, {"COPILOT_SERVICE_NAME", im.res.Service}}
	var added []string
	for _, b := range builtins {
		if _, set := vars[b[0]]; !set && b[1] != "" {
			add(b[0], b[1])
			added = append(added, b[0])
		}
	}
	pairs := make([]string, 0, len(order))
	var quoted []yaml.Style
	for i, name := range order {
		pairs = append(pairs, name+"="+vars[name])
		if st := styles[name]; st != 0 {
			if quoted == nil {
				quoted = make([]yaml.Style, len(order))
			}
			quoted[i] = st
		}
	}
	s := im.setFrom(stack.KeyEnv, "variables", firstLine, pairs...)
	s.List = true
	s.Styles = quoted
	if len(added) > 0 {
		s.Note = "with " + strings.Join(added, ", ") + ", which Copilot sets in every task"
	}
	im.find(Finding{Kind: Changed, Key: "variables", Line: firstLine, Message: "Copilot also set COPILOT_LB_DNS and COPILOT_SERVICE_DISCOVERY_ENDPOINT in every task; cfnfargate does not: code that reads them needs the stack's LoadBalancerDNSName output instead"})

	im.secrets()
}

// envFile reads the env_file Copilot uploaded to S3 for ECS: VARIABLE=VALUE
// lines, with lines beginning with # ignored, and no shell escape handling
// (ECS API reference, EnvironmentFile).
func (im *importer) envFile(f node) [][2]string {
	path, p := f.str()
	if im.addProblem(p) {
		return nil
	}
	if im.opts.ReadEnvFile == nil {
		im.report(Unsupported, f, "cfnfargate has no environment files: put the variables of %s in the config's env", path)
		return nil
	}
	data, err := im.opts.ReadEnvFile(path)
	if err != nil {
		im.report(Unsupported, f, "could not read %s (%v): cfnfargate has no environment files; put its variables in the config's env", path, err)
		return nil
	}
	var out [][2]string
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok || !envNamePattern.MatchString(name) {
			im.problems = append(im.problems, Problem{Key: "env_file", Line: f.line(), Message: fmt.Sprintf("%s line %d: expected NAME=VALUE", path, i+1)})
			continue
		}
		out = append(out, [2]string{name, value})
	}
	im.report(Changed, f, "the variables of %s are copied into the config's env: cfnfargate has no environment files, so edit them there from now on", path)
	return out
}

// secrets maps secrets onto NAME=SOURCE pairs: an SSM parameter's name, a
// Secrets Manager secret as secretsmanager:NAME, or an ARN, as cfnfargate's
// secret setting takes them. The template turns a name into an ARN of the
// stack's own partition, region and account, as Copilot's template does,
// so nothing about the account is needed here.
func (im *importer) secrets() {
	sec, ok := im.root.get("secrets")
	if !ok || sec.isNull() {
		return
	}
	if !sec.isMap() {
		im.addProblem(ptr(sec.wrongType("a map of variable names to SSM parameter names or Secrets Manager secrets")))
		return
	}
	var pairs []string
	for _, e := range sec.entries() {
		var source string
		switch {
		case e.value.isScalar():
			// An SSM parameter's name or ARN (secrets.en.md: "the name of
			// the SSM parameter"); ECS also takes a Secrets Manager ARN.
			source = e.value.Value
		case e.value.isMap():
			if sm, ok := e.value.get("secretsmanager"); ok {
				v, p := sm.str()
				if im.addProblem(p) {
					continue
				}
				// The secret's name, with Copilot's optional
				// :json-key:version-stage:version-id, or its ARN.
				source = v
				if !strings.HasPrefix(v, "arn:") {
					source = stack.SecretsManagerPrefix + v
				}
			} else if _, ok := e.value.get("from_cfn"); ok {
				im.report(Unsupported, e.value, "takes its ARN from a CloudFormation export (from_cfn): look it up (aws cloudformation list-exports) and add %s: ARN to the config's secret", e.name)
			} else {
				im.problem(e.value, "expected an SSM parameter name, or a map with secretsmanager or from_cfn")
			}
		default:
			im.addProblem(ptr(e.value.wrongType("an SSM parameter name, or a map with secretsmanager")))
		}
		if source != "" {
			pairs = append(pairs, e.name+"="+source)
		}
	}
	if len(pairs) > 0 {
		s := im.set(stack.KeySecret, sec, pairs...)
		s.List = true
	}
}
