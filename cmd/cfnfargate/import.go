package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/internal/copilot"
	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

func importCommand() *cli.Command {
	return &cli.Command{
		Name:  "import",
		Usage: "write a config file from another tool's service definition",
		Description: "Sources:\n" +
			"  copilot   an AWS Copilot \"Load Balanced Web Service\" manifest (copilot/<service>/manifest.yml)",
		Subcommands: []*cli.Command{importCopilotCommand()},
		Action: func(c *cli.Context) error {
			return cli.ShowSubcommandHelp(c)
		},
	}
}

// importCopilotFlags are the flags of import copilot. They read no
// CFNFARGATE_* variables: CFNFARGATE_ENV and CFNFARGATE_IMAGE already name
// template settings, with other meanings.
func importCopilotFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "env", Usage: "Copilot environment `NAME`: writes that environment's values (its environments: overrides applied, ${COPILOT_ENVIRONMENT_NAME} filled) as one flat config; without it, each environment is a layer of the config"},
		&cli.StringFlag{Name: "app", Usage: "Copilot application `NAME`: fills ${COPILOT_APPLICATION_NAME}"},
		&cli.StringFlag{Name: "image", Usage: "image `URI` to run; required when the manifest builds its image (image.build)"},
		&cli.StringFlag{Name: "region", Usage: "with --from-stack: the `REGION` of Copilot's stacks (default: AWS_REGION or the profile's)"},
		&cli.StringFlag{Name: "account", Usage: "with --from-stack: the AWS account `ID` Copilot's stacks must be in"},
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the config to `FILE` instead of stdout; - is stdout", TakesFile: true},
		&cli.BoolFlag{Name: "force", Usage: "replace the --output file if it exists"},
		&cli.BoolFlag{Name: "strict", Usage: "fail (exit 2, nothing written) if the manifest has a key cfnfargate cannot import"},
		&cli.StringFlag{Name: "from-stack", Usage: "Copilot's service `STACK` (APP-ENV-SVC): read the VPC, subnets, certificate and running image that Copilot deployed"},
		&cli.StringFlag{Name: "svc", Usage: "with --app and --env instead of --from-stack: the Copilot service `NAME`"},
		&cli.StringFlag{Name: "profile", Usage: "AWS shared-config `PROFILE` for --from-stack (default: AWS_PROFILE)"},
		&cli.StringFlag{Name: "endpoint-url", Usage: "endpoint `URL` of the AWS APIs for --from-stack, e.g. for an emulator (default: AWS_ENDPOINT_URL)"},
		&cli.BoolFlag{Name: "debug", Usage: "print the AWS SDK's own log lines on stderr"},
	}
}

func importCopilotCommand() *cli.Command {
	return &cli.Command{
		Name:      "copilot",
		Usage:     "write a config file from a Copilot Load Balanced Web Service manifest",
		ArgsUsage: "MANIFEST",
		Description: "Maps every manifest key cfnfargate has a setting for, with Copilot's defaults where the manifest\n" +
			"leaves a key out, and lists on stderr every key it could not map, with what to do instead.\n" +
			"The config is for --config of emit, diff and deploy.",
		Flags:        importCopilotFlags(),
		OnUsageError: usageError,
		Action: func(c *cli.Context) error {
			o, err := importCopilotFromCLI(c)
			if err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Execute(c.Context)
		},
	}
}

// importCopilotOptions are the input of import copilot.
type importCopilotOptions struct {
	Manifest string
	App      string
	Env      string
	Image    string
	// ImageSource says where Image came from, when not from --image.
	ImageSource string
	Region      string
	Account     string
	Output      string // "" or "-" is stdout
	Force       bool
	Strict      bool
	// FromStack is Copilot's service stack to read the deployed network,
	// certificate and image from; Svc with App and Env names it too.
	FromStack   string
	Svc         string
	Profile     string
	EndpointURL string
	Debug       bool

	Stdout, Stderr io.Writer
	// Getenv fills the manifest's ${NAME} placeholders, as Copilot does
	// from its shell.
	Getenv func(string) (string, bool)
}

// importCopilotFromCLI reads the options. Go's flag parsing stops at the
// first argument, so flags after MANIFEST (as in `import copilot
// manifest.yml --env prod`) are parsed here.
func importCopilotFromCLI(c *cli.Context) (*importCopilotOptions, error) {
	args := c.Args().Slice()
	if len(args) == 0 {
		return nil, badInput(errors.New("import copilot: give the manifest, e.g. cfnfargate import copilot copilot/api/manifest.yml"))
	}
	set := flag.NewFlagSet("copilot", flag.ContinueOnError)
	set.SetOutput(io.Discard)
	for _, f := range c.Command.Flags {
		if err := f.Apply(set); err != nil {
			return nil, err
		}
	}
	if err := set.Parse(args[1:]); err != nil {
		return nil, badInput(fmt.Errorf("%w (see 'cfnfargate import copilot --help')", err))
	}
	if rest := set.Args(); len(rest) > 0 {
		return nil, badInput(fmt.Errorf("import copilot takes one manifest; %q is one too many", rest[0]))
	}
	after := map[string]string{}
	set.Visit(func(f *flag.Flag) { after[f.Name] = f.Value.String() })
	value := func(name string) string {
		if v, ok := after[name]; ok {
			return v
		}
		if name == "output" {
			if v, ok := after["o"]; ok {
				return v
			}
		}
		return c.String(name)
	}
	flagBool := func(name string) bool {
		if v, ok := after[name]; ok {
			return v == "true"
		}
		return c.Bool(name)
	}
	return &importCopilotOptions{
		Manifest:    args[0],
		App:         value("app"),
		Env:         value("env"),
		Image:       value("image"),
		Region:      value("region"),
		Account:     value("account"),
		Output:      value("output"),
		Force:       flagBool("force"),
		Strict:      flagBool("strict"),
		FromStack:   value("from-stack"),
		Svc:         value("svc"),
		Profile:     value("profile"),
		EndpointURL: value("endpoint-url"),
		Debug:       flagBool("debug"),
		Stdout:      c.App.Writer,
		Stderr:      c.App.ErrWriter,
		Getenv:      os.LookupEnv,
	}, nil
}

var (
	importRegion  = lazyregexp.New(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	importAccount = lazyregexp.New(`^\d{12}$`)
	copilotName   = lazyregexp.New(`^[a-z][a-z0-9-]*$`)
	// stackName is CloudFormation's rule for a stack name (CreateStack,
	// StackName): a letter, then letters, digits and hyphens, up to 128.
	stackName = lazyregexp.New(`^[A-Za-z][A-Za-z0-9-]{0,127}$`)
)

// Validate checks the flags, all at once, before the manifest is read.
func (o *importCopilotOptions) Validate() error {
	var problems []stack.Problem
	add := func(flag, format string, args ...any) {
		problems = append(problems, stack.Problem{Key: "--" + flag, Message: fmt.Sprintf(format, args...)})
	}
	if o.Region != "" && !importRegion.MatchString(o.Region) {
		add("region", "%q is not an AWS region, such as eu-west-1", o.Region)
	}
	if o.Account != "" && !importAccount.MatchString(o.Account) {
		add("account", "%q is not an AWS account ID: expected 12 digits", o.Account)
	}
	// Copilot names applications and environments with lowercase letters,
	// digits and hyphens, starting with a letter.
	switch {
	case o.Svc != "" && o.FromStack != "":
		add("svc", "give either --from-stack APP-ENV-SVC, or --svc with --app and --env, not both")
	case o.Svc != "" && (o.App == "" || o.Env == ""):
		add("svc", "needs --app and --env too: Copilot names the service's stack APP-ENV-SVC")
	case o.FromStack != "" && !stackName.MatchString(o.FromStack):
		add("from-stack", "%q is not a stack name: a letter, then letters, digits and hyphens", o.FromStack)
	}
	for flag, v := range map[string]string{"app": o.App, "env": o.Env, "svc": o.Svc} {
		if v != "" && !copilotName.MatchString(v) {
			add(flag, "%q is not a Copilot name: lowercase letters, digits and hyphens, starting with a letter", v)
		}
	}
	if o.Output != "" && o.Output != "-" {
		if same, _ := samePath(o.Output, o.Manifest); same {
			add("output", "%s is the manifest itself: write the config to another file", o.Output)
		} else if info, err := os.Stat(o.Output); err == nil && info.Mode().IsRegular() && !o.Force {
			add("output", "%s exists: pass --force to replace it, or choose another file", o.Output)
		}
	}
	slices.SortFunc(problems, func(a, b stack.Problem) int { return strings.Compare(a.Key, b.Key) })
	if len(problems) > 0 {
		return &stack.ValidationError{Title: "invalid input", Problems: problems}
	}
	return nil
}

func samePath(a, b string) (bool, error) {
	ia, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	ib, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(ia, ib), nil
}

// Execute reads the manifest, maps it, checks the result against
// cfnfargate's own rules, and writes the config; the report goes to
// stderr. Nothing is written when any of that fails.
func (o *importCopilotOptions) Execute(ctx context.Context) error {
	data, err := os.ReadFile(o.Manifest)
	if err != nil {
		return badInput(fmt.Errorf("%s: %w", o.Manifest, unwrapPath(err)))
	}
	deployed, clients, err := o.readDeployed(ctx)
	if err != nil {
		return err
	}
	if deployed == nil {
		// Secret names become ARNs in the template, from the stack's own
		// region and account: these flags only say where --from-stack reads.
		for _, f := range []struct{ flag, value string }{{"region", o.Region}, {"account", o.Account}} {
			if f.value != "" {
				fmt.Fprintf(o.Stderr, "cfnfargate: warning: --%s: has no effect without --from-stack (or --svc): secret names need no region or account, as the template builds their ARNs from the stack's own\n", f.flag)
			}
		}
	}
	root := copilotWorkspace(o.Manifest)
	res, err := copilot.Import(data, copilot.Options{
		App: o.App, Env: o.Env, Image: o.Image, ImageSource: o.ImageSource,
		Getenv: o.Getenv,
		ReadEnvFile: func(path string) ([]byte, error) {
			b, err := os.ReadFile(filepath.Join(root, path))
			return b, unwrapPath(err)
		},
	})
	if err != nil {
		return badInput(fmt.Errorf("%s: %w", o.Manifest, err))
	}
	if deployed != nil {
		deployed.PickCertificate(ctx, clients.ACM, res.Aliases)
	}
	cfg, err := checkImported(res.Settings, "")
	if err != nil {
		return badInput(fmt.Errorf("%s: %w", o.Manifest, err))
	}
	layers := make([]stack.Config, len(res.Layers))
	for i, l := range res.Layers {
		if layers[i], err = checkImported(l.Settings, l.Name); err != nil {
			return badInput(fmt.Errorf("%s: environment %s: %w", o.Manifest, l.Name, err))
		}
	}
	if o.Strict {
		var unsupported []string
		for _, f := range res.Findings {
			if f.Kind == copilot.Unsupported {
				unsupported = append(unsupported, f.String())
			}
		}
		if len(unsupported) > 0 {
			return badInput(fmt.Errorf("%s: --strict: %d key(s) cannot be imported, so nothing was written:\n  %s",
				o.Manifest, len(unsupported), strings.Join(unsupported, "\n  ")))
		}
	}
	body, err := renderImported(res, o.Manifest, deployKeys(deployed))
	if err != nil {
		return err
	}
	if o.Output == "" || o.Output == "-" {
		if _, err := o.Stdout.Write(body); err != nil {
			return err
		}
	} else if err := writeOutput(o.Output, body, o.Stdout, o.Stderr); err != nil {
		return err
	}
	o.printReport(res, cfg, layers, deployed)
	return nil
}

// readDeployed reads what Copilot deployed, with --from-stack (or --svc),
// and takes from it what the flags left out: the application, the
// environment and the image. A flag that disagrees with the stacks (the
// application, the environment, the region or the account) is an error.
func (o *importCopilotOptions) readDeployed(ctx context.Context) (*copilot.Deployed, *deploy.Clients, error) {
	name := o.FromStack
	if o.Svc != "" {
		name = o.App + "-" + o.Env + "-" + o.Svc
	}
	if name == "" {
		return nil, nil, nil
	}
	clients, err := deploy.NewClients(ctx, deploy.ClientOptions{Region: o.Region, Profile: o.Profile, EndpointURL: o.EndpointURL, Debug: o.Debug})
	if err != nil {
		return nil, nil, err
	}
	d, err := copilot.ReadDeployed(ctx, clients.CloudFormation, clients.ELB, name)
	var missing *copilot.DeployedError
	if errors.As(err, &missing) {
		return nil, nil, badInput(fmt.Errorf("--from-stack: %w", err))
	}
	if err != nil {
		return nil, nil, err
	}
	var problems []stack.Problem
	for _, f := range []struct {
		flag string
		v    *string
		got  string
	}{{"app", &o.App, d.App}, {"env", &o.Env, d.Env}, {"region", &o.Region, d.Region}, {"account", &o.Account, d.Account}} {
		switch {
		case *f.v == "":
			*f.v = f.got
		case *f.v != f.got && f.got != "":
			problems = append(problems, stack.Problem{Key: "--" + f.flag, Message: fmt.Sprintf("%s, but stack %s belongs to %s: leave --%s out, or name another stack", *f.v, name, f.got, f.flag)})
		}
	}
	if len(problems) > 0 {
		return nil, nil, &stack.ValidationError{Title: "invalid input", Problems: problems}
	}
	if o.Image == "" {
		o.Image, o.ImageSource = d.Image, "the running image (stack "+name+")"
	}
	return d, clients, nil
}

// deployKey is a key of deploy's own in the config, read from Copilot's
// stacks.
type deployKey struct {
	key     string
	values  []string
	list    bool
	comment string
}

// deployKeys are the network and certificate that make the config
// deployable as it is, next to the Copilot service.
func deployKeys(d *copilot.Deployed) []deployKey {
	if d == nil {
		return nil
	}
	out := func(name string) string { return "output " + name + " of stack " + d.EnvironmentStack }
	keys := []deployKey{
		{key: "vpc-id", values: []string{d.VpcID}, comment: out("VpcId")},
		{key: "public-subnets", values: d.PublicSubnets, list: true, comment: out("PublicSubnets")},
		{key: "private-subnets", values: d.PrivateSubnets, list: true, comment: out("PrivateSubnets")},
	}
	if d.CertificateARN != "" {
		keys = append(keys, deployKey{key: "certificate-arn", values: []string{d.CertificateARN},
			comment: d.CertificateWhy + "; it goes with the environment: request one of your own before you delete it"})
	}
	return keys
}

// copilotWorkspace is the directory Copilot resolves env_file against: the
// one that holds the copilot/ directory above the manifest, or else the
// manifest's own directory.
func copilotWorkspace(manifest string) string {
	abs, err := filepath.Abs(manifest)
	if err != nil {
		return filepath.Dir(manifest)
	}
	for dir := filepath.Dir(abs); dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if filepath.Base(dir) == "copilot" {
			return filepath.Dir(dir)
		}
	}
	return filepath.Dir(abs)
}

// printReport prints, on stderr, what the import could not map, what
// changed, the template's own warnings, and the next steps.
func (o *importCopilotOptions) printReport(res *copilot.Result, cfg stack.Config, layers []stack.Config, deployed *copilot.Deployed) {
	w := o.Stderr
	for _, f := range res.Findings {
		label := map[copilot.Kind]string{copilot.Unsupported: "not imported", copilot.Ignored: "warning", copilot.Changed: "note"}[f.Kind]
		fmt.Fprintf(w, "cfnfargate: %s: %s\n", label, f)
	}
	if deployed != nil {
		for _, n := range deployed.Notes {
			fmt.Fprintf(w, "cfnfargate: note: --from-stack: certificate-arn: %s\n", n)
		}
	}
	printed := map[string]bool{}
	for _, p := range cfg.Warnings() {
		printed[p.Key+p.Message] = true
		fmt.Fprintf(w, "cfnfargate: warning: %s: %s\n", p.Key, p.Message)
	}
	for i, l := range layers {
		for _, p := range l.Warnings() {
			if !printed[p.Key+p.Message] {
				fmt.Fprintf(w, "cfnfargate: warning: environment %s: %s: %s\n", res.Layers[i].Name, p.Key, p.Message)
			}
		}
	}
	cfgFile, save := o.Output, ""
	if cfgFile == "" || cfgFile == "-" {
		cfgFile, save = "FILE", "save the config printed above as FILE, then "
	}
	stackName, envFlag := res.Service, ""
	switch {
	case res.Applied != "":
		stackName += "-" + res.Applied
	case len(res.Layers) > 0:
		// cfnfargate names a service in an environment NAME-ENVIRONMENT.
		envFlag = " --environment " + res.Layers[0].Name
		stackName += "-" + res.Layers[0].Name
	}
	fmt.Fprintf(w, "Next steps (README, \"Moving from Copilot\"):\n")
	fmt.Fprintf(w, "  1. %sreview the config and the template: cfnfargate emit --config %s%s\n", save, cfgFile, envFlag)
	switch {
	case deployed != nil && deployed.CertificateARN != "":
		fmt.Fprintf(w, "  2. deploy it next to the Copilot service, with the network and certificate read from %s:\n", deployed.EnvironmentStack)
		fmt.Fprintf(w, "     cfnfargate deploy --config %s --stack %s\n", cfgFile, stackName)
	case deployed != nil:
		fmt.Fprintf(w, "  2. deploy it next to the Copilot service, in the network read from %s (%s has no HTTPS listener):\n", deployed.EnvironmentStack, deployed.EnvironmentStack)
		fmt.Fprintf(w, "     cfnfargate deploy --config %s --stack %s --certificate-arn ARN\n", cfgFile, stackName)
	default:
		fmt.Fprintf(w, "  2. deploy it next to the Copilot service, in the same VPC (outputs VpcId, PublicSubnets and PrivateSubnets\n")
		fmt.Fprintf(w, "     of Copilot's environment stack; --from-stack reads them):\n")
		if envFlag != "" {
			fmt.Fprintf(w, "     cfnfargate deploy --config %s%s --vpc-id VPC --public-subnets A,B --private-subnets C,D --certificate-arn ARN\n", cfgFile, envFlag)
			fmt.Fprintf(w, "     (the stack %s; each environment of the config deploys the same way)\n", stackName)
		} else {
			fmt.Fprintf(w, "     cfnfargate deploy --config %s --stack %s --vpc-id VPC --public-subnets A,B --private-subnets C,D --certificate-arn ARN\n", cfgFile, stackName)
		}
	}
	fmt.Fprintf(w, "  3. check it through its own load balancer: cfnfargate status --stack %s\n", stackName)
	if d, ok := deferredDomain(res); ok {
		fmt.Fprintf(w, "  4. move %s to the new load balancer (UPSERT its alias record; the README shows the command), then delete the Copilot service\n", d)
	} else {
		fmt.Fprintf(w, "  4. move your DNS name to the new load balancer, then delete the Copilot service (copilot svc delete)\n")
	}
}

func deferredDomain(res *copilot.Result) (string, bool) {
	for _, s := range res.Settings {
		if s.Deferred && s.Key == stack.KeyDomainName {
			return s.Values[0], true
		}
	}
	return "", false
}
