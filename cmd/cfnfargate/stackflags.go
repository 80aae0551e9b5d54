package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"
	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/deploy/progress"
	"github.com/cfnfargate/cfnfargate/stack/format"
	"github.com/cfnfargate/cfnfargate/stack/operate"
)

// awsFlags are the flags of every command that works on a stack: the
// stack, the config file, which can hold any flag, and AWS access. Without
// the access flags the SDK's own chain applies: AWS_PROFILE, AWS_REGION,
// SSO, AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_CLOUDFORMATION.
func awsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "stack", Usage: "stack `NAME`", EnvVars: []string{envName("stack")}},
		configFlag(),
		&cli.StringFlag{Name: "region", Usage: "AWS `REGION` (default: from AWS_REGION or the profile)", EnvVars: []string{envName("region")}},
		&cli.StringFlag{Name: "profile", Usage: "AWS shared-config `PROFILE` (default: AWS_PROFILE)", EnvVars: []string{envName("profile")}},
		&cli.StringFlag{Name: "endpoint-url", Usage: "endpoint `URL` of every AWS API called (CloudFormation, EC2, ELB, ECS, ...), e.g. for an emulator (default: AWS_ENDPOINT_URL)", EnvVars: []string{envName("endpoint_url")}},
		&cli.BoolFlag{Name: "debug", Usage: "print the AWS SDK's own log lines (retries, warnings) on stderr", EnvVars: []string{envName("debug")}},
		&cli.StringFlag{Name: "account", Usage: "the AWS account `ID` the credentials must belong to; another account is refused before anything is sent (a guard for environments in other accounts)",
			EnvVars: []string{envName("account")}},
	}
}

// accountPattern is an AWS account ID: 12 digits.
var accountPattern = lazyregexp.New(`^[0-9]{12}$`)

// checkAccount refuses credentials of another account than --account.
func checkAccount(ctx context.Context, c *cli.Context, clients *deploy.Clients) error {
	want := c.String("account")
	if want == "" {
		return nil
	}
	if !accountPattern.MatchString(want) {
		return badInput(fmt.Errorf("--account: %q is not an AWS account ID: 12 digits", want))
	}
	return deploy.CheckAccount(ctx, clients.STS, want)
}

// parameterFlags set the template parameters that have no built-in default.
func parameterFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "vpc-id", Usage: "the VpcId parameter: the existing `VPC` (a new stack given no network uses the region's default VPC)", EnvVars: []string{envName("vpc-id")}},
		listFlag("public-subnets", "the PublicSubnetIds parameter: `SUBNETS`, comma-separated or repeated, at least two"),
		listFlag("private-subnets", "the PrivateSubnetIds parameter: `SUBNETS`, comma-separated or repeated, with a route out (a NAT gateway); not needed with --public-tasks"),
		&cli.StringFlag{Name: "certificate-arn", Usage: "the CertificateArn parameter: an ACM certificate `ARN`; without one (and without --domain-name) the load balancer serves HTTP only; required with --hardened", EnvVars: []string{envName("certificate-arn")}},
		listFlag("parameter", "any other template parameter, `NAME=VALUE`, repeatable"),
		&cli.StringFlag{Name: "role-arn", Usage: "IAM `ROLE` CloudFormation assumes for the stack operations", EnvVars: []string{envName("role-arn")}},
	}
}

// listFlag is a repeatable flag. Its variable is read by applyOptions, which
// splits it at commas; the flag itself never splits, so that a value may
// hold a comma.
func listFlag(name, usage string) cli.Flag {
	return &cli.StringSliceFlag{Name: name, Usage: usage + " [$" + envName(name) + "]"}
}

// subnetList splits each value of a subnets flag at its commas: the
// flag, its variable and its config key all take a comma-separated list.
func subnetList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, id := range strings.Split(v, ",") {
			out = append(out, strings.TrimSpace(id))
		}
	}
	return out
}

// parameterFlagNames name the flag of each parameter, for error messages:
// the network and certificate flags, and the settings that are parameters.
var parameterFlagNames = func() map[string]string {
	flags := map[string]string{
		stack.ParamVpcID:            "--vpc-id",
		stack.ParamPublicSubnetIDs:  "--public-subnets",
		stack.ParamPrivateSubnetIDs: "--private-subnets",
		stack.ParamCertificateArn:   "--certificate-arn",
	}
	for param, key := range stack.ParameterSettings() {
		flags[param] = "--" + key
	}
	return flags
}()

// stackRun is the input of a deploy or a diff: the settings the run gives,
// over what the stack keeps of its last release, checked with the stack
// flags.
type stackRun struct {
	in deploy.Input
	// settings are the settings resolved, and sources where each came
	// from.
	settings resolved
	// changes are the plan's settings section (remember.go).
	changes []deploy.SettingChange
	// record is what the deploy's release records of its settings.
	record releaseSettings
	// notes and warnings are said on stderr once the run goes ahead.
	notes    []string
	warnings []stack.Problem

	// sources say where each setting's value came from, after what the
	// stack remembers: a finding's label names it.
	sources map[string]source
	// given are the parameters the run gives (in.Parameters as read).
	given map[string]bool
	// known is set when the stack was looked up: remembered is then what
	// it holds, nil for a stack to create.
	known      bool
	remembered *operate.Remembered
}

// stackSources are the settings and stack flags of a deploy or a diff as
// the run gives them, before what the stack remembers.
type stackSources struct {
	c         *cli.Context
	src       sourced
	reset     map[string]bool
	resetAll  bool
	stackName string
	// named and located: the stack's name and region are known, so that
	// what it remembers can be read.
	named, located bool
	// resetProblems are --reset's; local are the others found without
	// AWS (readStackSources); deferred are those of the stack flags that
	// wait for the values the stack may keep (checkNetwork), judged with
	// the values given.
	resetProblems, local, deferred []stack.Problem
}

// label names where the command's flag name got its value.
func (ss *stackSources) label(name string) string { return ss.src.label(name) }

// readStackSources reads the settings and the stack flags of deploy and
// diff, and checks what it can without AWS: the values that cannot be
// read, the stack flags, and the settings' problems that no remembered
// value could change (those of settings given, with every setting they
// involve given); when the stack is not named, every problem and the
// parameters a new stack needs, as there is nothing to remember. The
// problems come as a *stack.ValidationError, with the sources, so that a
// command can add its own flags' problems to them.
func readStackSources(c *cli.Context) (*stackSources, error) {
	src, err := readSources(c, settings)
	if err != nil {
		return nil, err // an unreadable config file
	}
	ss := &stackSources{c: c, src: src, stackName: serviceStackName(c.String("stack"), src.Config)}
	var problems []stack.Problem
	ss.reset, ss.resetAll, ss.resetProblems = readReset(c, src)
	var nameCheck deploy.Check
	checkStackName(&nameCheck, src.resolved, ss.stackName)
	named := nameCheck.Err() == nil
	problems = append(problems, problemsOf(nameCheck.Err())...)
	// The region, as the SDK resolves it from the flags, the environment
	// and the profile, without calling AWS; a configuration that does
	// not load is reported when the client is made.
	located := true
	if region, err := deploy.Region(c.Context, clientOptions(c)); err == nil && region == "" {
		located = false
		problems = append(problems, stack.Problem{Key: src.label("region"), Message: "no AWS region is set: give one, or set AWS_REGION or a region in your AWS profile"})
	}
	robust := func(p stack.Problem) bool {
		return src.Given[p.Key] && !slices.ContainsFunc(p.Related, func(k string) bool { return !src.Given[k] })
	}
	if !named || !located {
		// Nothing can be remembered: every problem counts.
		robust = nil
	}
	hardened := src.harden()
	_, err = hardened.check(stack.Config.Validate, robust)
	problems = append(problems, problemsOf(err)...)
	// Where the tasks and the load balancer run decides what the network
	// may hold; a stack may remember both.
	settled := robust == nil || ((src.Given[stack.KeyPublicTasks] || hardened.Hardened[stack.KeyPublicTasks]) && src.Given[stack.KeyInternal])
	checked := problemsOf(stackChecks(c, hardened.resolved, settled).Err())
	problems = append(problems, checked...)
	if !settled {
		// Judged as given, should what the stack remembers be unreadable.
		for _, p := range problemsOf(stackChecks(c, hardened.resolved, true).Err()) {
			if !slices.ContainsFunc(checked, func(q stack.Problem) bool { return q.Key == p.Key && q.Message == p.Message }) {
				ss.deferred = append(ss.deferred, p)
			}
		}
	}
	if !named && err == nil {
		problems = append(problems, requiredForCreate(c, hardened.resolved)...)
	}
	ss.named, ss.located, ss.local = named, located, problems
	if all := append(slices.Clone(ss.resetProblems), problems...); len(all) > 0 {
		return ss, &stack.ValidationError{Title: "invalid input", Problems: all}
	}
	return ss, nil
}

// lookFunc looks at the account for a run whose input has problems, and
// returns what it finds there (lookAnyway outside tests).
type lookFunc func(ctx context.Context, run *stackRun) []stack.Problem

// check lays the run's settings over what the stack remembers (read with
// recall) and reports every problem at once: own (the command's own
// flags'), --reset's, the settings' and the stack flags', and, when there
// are any, what the account shows (look: the reads of the pre-flight,
// which change nothing), so that one run says it all. Without a stack
// name or a region nothing can be remembered: the problems found without
// AWS come, with the account's view of the values given. When what the
// stack remembers cannot be read, the problems found without it stand.
// Without a problem it returns the deploy's input, as complete does; the
// pre-flight then runs in the deploy, before the change set.
func (ss *stackSources) check(ctx context.Context, recall rememberFunc, look lookFunc, verbose bool, own []stack.Problem) (*stackRun, error) {
	problems := append(slices.Clone(own), ss.resetProblems...)
	if !ss.named || !ss.located || recall == nil {
		problems = append(problems, ss.local...)
		if len(problems) == 0 {
			return ss.complete(recall, verbose)
		}
		if ss.located && look != nil {
			// Only what the run gives: the stack is not known.
			if run, _ := ss.complete(nil, verbose); run != nil {
				problems = append(problems, look(ctx, run)...)
			}
		}
		return nil, &stack.ValidationError{Title: "invalid input", Problems: problems}
	}
	run, err := ss.complete(recall, verbose)
	if err != nil && problemsOf(err) == nil {
		if problems = slices.Concat(problems, ss.local, ss.deferred); len(problems) > 0 {
			return nil, &stack.ValidationError{Title: "invalid input", Problems: problems}
		}
		return nil, err
	}
	// The settings' problems over what the stack remembers include those
	// found without it (ss.local).
	problems = append(problems, problemsOf(err)...)
	if len(problems) == 0 {
		return run, nil
	}
	if look != nil && run != nil {
		problems = append(problems, look(ctx, run)...)
	}
	return nil, &stack.ValidationError{Title: "invalid input", Problems: problems}
}

// complete lays the run's settings over what the stack remembers (read
// with recall; nil remembers nothing), checks everything, and returns the
// deploy's input; with verbose the plan lists the settings kept too.
// Nothing is sent that changes AWS.
func (ss *stackSources) complete(recall rememberFunc, verbose bool) (*stackRun, error) {
	c, src, stackName := ss.c, ss.src, ss.stackName
	var problems []stack.Problem
	var err error
	var unread string
	var m *operate.Remembered
	if recall != nil {
		m, err = recall(c.Context, stackName)
		switch {
		case err != nil && !ss.resetAll:
			return nil, err
		case err != nil:
			unread = fmt.Sprintf("could not read what stack %s keeps of its last deploy (%v); with --reset all the deploy goes on without it", stackName, err)
		}
	}
	merged, r := remember(src, stackName, m, ss.reset, ss.resetAll)
	merged = merged.harden()
	run := &stackRun{notes: r.notes}
	if unread != "" {
		run.notes = append(run.notes, unread)
	}
	s, err := merged.check(stack.Config.Validate, nil)
	if err != nil && problemsOf(err) == nil {
		return nil, err
	}
	problems = append(problems, problemsOf(err)...)
	check := stackChecks(c, s, true)
	var parsed deploy.Check // stackChecks has its problems
	params := parsed.Parameters(s.label("parameter"), c.StringSlice("parameter"))
	var body string
	var doc format.Document
	if err == nil {
		b, d, err := renderDocument(s.Config)
		if err != nil {
			return nil, err
		}
		body, doc = string(b), d
		check.TemplateBody(body)
		if err := checkParameterNames(check, s.label("parameter"), params, body); err != nil {
			return nil, err
		}
	}
	problems = append(problems, problemsOf(check.Err())...)
	if m != nil && !c.IsSet("certificate-arn") {
		// The stack keeps its certificate, if it has one.
		problems = append(problems, hardenedCertificate(c, s, m.Parameters[stack.ParamCertificateArn], true)...)
	}
	if recall != nil && m == nil && unread == "" && len(problems) == 0 {
		// A new stack: what it needs, now rather than from the deploy.
		problems = append(problems, requiredForCreate(c, s)...)
	}
	// Warnings about what this run gives, not about what was kept; a
	// control that hardened would pass names the value kept that breaks
	// it, when the run gives hardened.
	for _, w := range hardenedRemedies(s.Config.Warnings(), keptFrom(merged)) {
		if src.Given[w.Key] || slices.ContainsFunc(w.Related, func(k string) bool { return src.Given[k] }) {
			run.warnings = append(run.warnings, w)
		}
	}

	public, private := subnetList(c.StringSlice("public-subnets")), subnetList(c.StringSlice("private-subnets"))
	network := stack.DeployParameters{
		VpcID:            c.String("vpc-id"),
		PublicSubnetIDs:  public,
		PrivateSubnetIDs: private,
		CertificateArn:   c.String("certificate-arn"),
		// --certificate-arn "" asks for a created certificate.
		CreateCertificate: c.IsSet("certificate-arn") && c.String("certificate-arn") == "",
	}
	maps.Copy(params, network.Values())
	// A parameter a setting gives is sent when the setting is given or
	// reset, or hardened gives it (AssignPublicIp, which the hardened
	// template allows DISABLED only); else it keeps its value, as
	// CloudFormation keeps it.
	sent := maps.Clone(s.Given)
	for key := range ss.reset {
		sent[key] = true
	}
	maps.Copy(sent, s.Hardened)
	maps.Copy(params, stack.SettingParameters(s.Config, sent))

	tags := map[string]string{}
	for _, t := range s.Config.Tags {
		tags[t.Key] = t.Value
	}
	if s.Config.Environment.Shared() {
		delete(params, stack.ParamCertificateArn)
	}
	run.settings = s
	run.sources = merged.sources
	run.known, run.remembered = recall != nil && unread == "", m
	run.given = map[string]bool{}
	for name := range params {
		run.given[name] = true
	}
	run.changes = settingChanges(merged, r, m, verbose)
	run.record = recordable(merged)
	var hints map[string]string
	if !s.Config.Environment.Shared() {
		hints = networkHints
	}
	run.in = deploy.Input{
		StackName:      stackName,
		TemplateBody:   body,
		Parameters:     params,
		ParameterFlags: parameterFlagNames,
		ParameterHints: hints,
		Capabilities:   stack.Capabilities(doc),
		Tags:           tags,
		RoleARN:        c.String("role-arn"),
		// Deletion protection on the load balancer alone does not protect
		// the application: deleting the stack removes the service first
		// and fails only at the load balancer. Termination protection
		// stops the delete before it starts.
		TerminationProtection: s.Config.DeletionProtection,
	}
	if len(problems) > 0 {
		// The run as far as it goes, for a look at the account.
		return run, &stack.ValidationError{Title: "invalid input", Problems: problems}
	}
	return run, nil
}

// problemsOf returns the problems of a *stack.ValidationError, or none.
func problemsOf(err error) []stack.Problem {
	var verr *stack.ValidationError
	if errors.As(err, &verr) {
		return verr.Problems
	}
	return nil
}

// checkStackName checks the service's stack name: given, or NAME-ENV.
func checkStackName(check *deploy.Check, s resolved, stackName string) {
	if stackName == "" && s.Config.Environment.Name != "" {
		check.Add(s.label("stack"), "a stack name is required: give --stack, or --name (the stack of a service in environment %s is then NAME-%s)",
			s.Config.Environment.Name, s.Config.Environment.Name)
		return
	}
	check.StackName(s.label("stack"), stackName)
}

// stackChecks checks the stack flags of deploy and diff against the
// settings s: the network, the certificate, the role, the parameters and
// the timeout. settled says whether where the tasks and the load balancer
// run is final, or may still be kept from the stack (checkNetwork).
func stackChecks(c *cli.Context, s resolved, settled bool) *deploy.Check {
	var check deploy.Check
	public, private := subnetList(c.StringSlice("public-subnets")), subnetList(c.StringSlice("private-subnets"))
	publicLabel, privateLabel := s.label("public-subnets"), s.label("private-subnets")
	if env := s.Config.Environment.Name; s.Config.Environment.Shared() {
		// The environment's stack gives the VPC, the subnets and the
		// listener; a service may still run its tasks in other subnets.
		for _, flag := range []string{"vpc-id", "certificate-arn"} {
			if c.IsSet(flag) {
				check.Add(s.label(flag), "comes from environment %s (its stack %s) for a service in it: leave it out", env, stack.EnvironmentStackName(env))
			}
		}
		if len(public) > 0 {
			check.Subnets(publicLabel, public, 1)
		}
		if len(private) > 0 {
			check.Subnets(privateLabel, private, 1)
		}
		check.DisjointSubnets(publicLabel, public, privateLabel, private)
	} else {
		checkNetwork(&check, c, s, public, private, settled)
	}
	if c.IsSet("certificate-arn") && c.String("certificate-arn") == "" {
		// An empty certificate serves HTTP only, which a hardened load
		// balancer does not.
		for _, p := range hardenedCertificate(c, s, "", false) {
			check.Add(p.Key, "%s", p.Message)
		}
	}
	if arn := c.String("certificate-arn"); !s.Config.Environment.Shared() && check.CertificateArn(s.label("certificate-arn"), arn) {
		// The region as the SDK will resolve it, read from the flags, the
		// environment and the profile without calling AWS. A configuration
		// that does not load is reported when the client is made.
		region, err := deploy.Region(c.Context, clientOptions(c))
		if err == nil {
			check.CertificateRegion(s.label("certificate-arn"), arn, region)
		}
	}
	check.RoleARN(s.label("role-arn"), c.String("role-arn"))
	checkParameterFlags(&check, s.label("parameter"), check.Parameters(s.label("parameter"), c.StringSlice("parameter")))
	if c.IsSet("timeout") { // diff has no --timeout
		check.Timeout(s.label("timeout"), c.Duration("timeout"))
	}
	return &check
}

// requiredForCreate are the problems of a new stack's parameters that
// the template declares without a default and no flag gives, as the
// deploy would report them: said with a missing stack name, so that one
// run lists both.
func requiredForCreate(c *cli.Context, s resolved) []stack.Problem {
	if s.Config.Environment.Shared() {
		return nil // the environment's stack gives them, once read
	}
	body, _, err := renderDocument(s.Config)
	if err != nil {
		return nil
	}
	required, err := deploy.RequiredParameters(string(body))
	if err != nil {
		return nil
	}
	given := stack.DeployParameters{
		VpcID:            c.String("vpc-id"),
		PublicSubnetIDs:  subnetList(c.StringSlice("public-subnets")),
		PrivateSubnetIDs: subnetList(c.StringSlice("private-subnets")),
		CertificateArn:   c.String("certificate-arn"),
	}.Values()
	var check deploy.Check
	var problems []stack.Problem
	for _, p := range c.StringSlice("parameter") {
		if name, _, ok := strings.Cut(p, "="); ok {
			given[name] = ""
		}
	}
	// What the pre-flight gives a new stack (preflight.go): a network
	// given none is the region's default VPC's, and with the tasks in
	// the public subnets the private list repeats them. The deploy still
	// names what it could not give.
	public, private := given[stack.ParamPublicSubnetIDs], given[stack.ParamPrivateSubnetIDs]
	defaultVPC := given[stack.ParamVpcID] == "" && public == "" && private == ""
	publicTasks := s.Config.Service.PublicTasks && !s.Config.LoadBalancer.Internal && public != ""
	for _, name := range required {
		if _, ok := given[name]; ok {
			continue
		}
		switch name {
		case stack.ParamCertificateArn:
			if s.Config.Hardened {
				// In the words of --hardened, once: an empty
				// --certificate-arn is stackChecks'.
				if !c.IsSet("certificate-arn") {
					problems = append(problems, hardenedCertificate(c, s, "", false)...)
				}
				continue
			}
		case stack.ParamVpcID, stack.ParamPublicSubnetIDs:
			if defaultVPC {
				continue
			}
		case stack.ParamPrivateSubnetIDs:
			if defaultVPC || publicTasks {
				continue
			}
		}
		flag, ok := parameterFlagNames[name]
		if !ok {
			flag = "--parameter " + name + "=VALUE"
		}
		check.Add(s.label(strings.TrimPrefix(strings.Fields(flag)[0], "--")), "%s", requiredMessage(name, flag))
	}
	return append(problemsOf(check.Err()), problems...)
}

// checkNetwork checks the VPC and subnets of a stack with a load balancer
// of its own (a service's, or an environment's): as many subnets as
// cfg.MinSubnets needs, none in both lists. With the tasks in the public
// subnets and the load balancer too, the private list is not used, and
// may repeat the public one (as the pre-flight makes it when it is left
// out). Unless settled, public-tasks and internal may still be kept from
// the stack: what depends on them waits until they are known.
func checkNetwork(check *deploy.Check, c *cli.Context, s resolved, public, private []string, settled bool) {
	check.VPCID(s.label("vpc-id"), c.String("vpc-id"))
	minPublic, minPrivate := s.Config.MinSubnets()
	if !settled {
		minPublic, minPrivate = 1, 1
	}
	check.Subnets(s.label("public-subnets"), public, minPublic)
	check.Subnets(s.label("private-subnets"), private, minPrivate)
	if settled && (!s.Config.Service.PublicTasks || s.Config.LoadBalancer.Internal) {
		disjointSubnets(check, c, s, public, private)
	}
}

// disjointSubnets refuses subnets given in both lists, in one problem
// that names them all and says how the tasks run in the public subnets
// instead, where the lists may share them.
func disjointSubnets(check *deploy.Check, c *cli.Context, s resolved, public, private []string) {
	var shared []string
	for _, id := range private {
		if slices.Contains(public, id) && !slices.Contains(shared, id) {
			shared = append(shared, id)
		}
	}
	if len(shared) == 0 {
		return
	}
	what := "subnet " + shared[0] + " is"
	if len(shared) > 1 {
		what = "subnets " + strings.Join(shared, ", ") + " are"
	}
	hint := ""
	takesPublicTasks := slices.ContainsFunc(c.Command.Flags, func(f cli.Flag) bool { return f.Names()[0] == stack.KeyPublicTasks })
	if takesPublicTasks && !s.Config.LoadBalancer.Internal {
		hint = fmt.Sprintf("; to run the tasks in the public subnets with public IPs, give %s, and the private list may then repeat the public one or be left out", s.label(stack.KeyPublicTasks))
	}
	check.Add(s.label("private-subnets"), "%s also given in %s: a subnet is either public or private, so the two lists must not share subnets%s", what, s.label("public-subnets"), hint)
}

// serviceStackName is the stack of a service: given, or NAME-ENVIRONMENT
// for a named service in an environment (shop-prod for --name shop in
// prod); "" when neither says.
func serviceStackName(given string, cfg stack.Config) string {
	if given == "" && cfg.Environment.Name != "" && cfg.Name != "" {
		return cfg.Name + "-" + cfg.Environment.Name
	}
	return given
}

// checkParameterFlags refuses --parameter values that a flag sets, where
// the flag and --parameter would fight over one value.
func checkParameterFlags(check *deploy.Check, label string, params map[string]string) {
	for _, name := range slices.Sorted(maps.Keys(params)) {
		if flag, ok := parameterFlagNames[name]; ok {
			check.Add(label, "%s=%s: the %s parameter is set with %s; give %s instead of --parameter", name, params[name], name, flag, flag)
		}
	}
}

// checkParameterNames refuses --parameter names the template does not
// declare (checkParameterFlags has the others).
func checkParameterNames(check *deploy.Check, label string, params map[string]string, body string) error {
	if len(params) == 0 {
		return nil
	}
	declared, err := deploy.DeclaredParameters(body)
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(params)) {
		if _, ok := parameterFlagNames[name]; !ok {
			check.ParameterDeclared(label, name, declared, parameterFlagNames)
		}
	}
	return nil
}

// clientOptions are the AWS access flags.
func clientOptions(c *cli.Context) deploy.ClientOptions {
	return deploy.ClientOptions{
		Region:      c.String("region"),
		Profile:     c.String("profile"),
		EndpointURL: c.String("endpoint-url"),
		Debug:       c.Bool("debug"),
	}
}

// renderDocument builds the template as YAML and as a document.
func renderDocument(cfg stack.Config) ([]byte, format.Document, error) {
	doc, err := stack.Build(cfg)
	if err != nil {
		return nil, nil, badInput(err)
	}
	body, err := format.YAML(doc)
	return body, doc, err
}

// withDeployer runs act with a deployer connected to CloudFormation, IAM
// and Elastic Load Balancing, whose progress goes to stdout, and a context
// that the first Ctrl-C or SIGTERM cancels.
func withDeployer(c *cli.Context, act func(ctx context.Context, d *deploy.Deployer) error) error {
	return withClients(c, func(ctx context.Context, _ *deploy.Clients, d *deploy.Deployer) error { return act(ctx, d) })
}

// withClients is withDeployer for a command that calls other clients too.
func withClients(c *cli.Context, act func(ctx context.Context, clients *deploy.Clients, d *deploy.Deployer) error) error {
	out := newConsole(c.App.Writer, c.App.ErrWriter)
	ctx, stop := interruptible(c.Context, out)
	defer stop()
	clients, err := deploy.NewClients(ctx, clientOptions(c))
	if err != nil {
		return err
	}
	if err := checkAccount(ctx, c, clients); err != nil {
		return err
	}
	opts := progress.Options{}
	if f, ok := c.App.Writer.(*os.File); ok {
		opts = progress.Detect(f, os.Getenv)
	}
	opts.Setting = settingFlag
	err = act(ctx, clients, clients.Deployer(progress.New(out.stdout, opts)))
	// The error that follows goes on a line of its own, not after a live
	// status line.
	out.stdout.endLine()
	return err
}

// printOutputs writes the stack outputs as aligned "key  value" lines.
func printOutputs(w io.Writer, outputs []deploy.Output) {
	if len(outputs) == 0 {
		return
	}
	width := 0
	for _, o := range outputs {
		width = max(width, len(o.Key))
	}
	fmt.Fprintln(w, "Outputs:")
	for _, o := range outputs {
		fmt.Fprintf(w, "  %-*s  %s\n", width, o.Key, o.Value)
	}
}

func timeoutFlag() cli.Flag {
	return &cli.DurationFlag{Name: "timeout", Value: deploy.DefaultTimeout, Usage: "how long to wait for the stack to settle", EnvVars: []string{envName("timeout")}}
}
