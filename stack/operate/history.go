package operate

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// The release history lives in SSM Parameter Store under the stack's own
// path, not in stack tags: a tag change is a stack update that re-tags
// every resource. A history belongs to one stack, not to a name: a stack
// deleted and created again under the same name gets a new stack ID, and
// its history starts again at release 1 under a path of its own, so that
// rollback never deploys what a deleted stack ran. Its layout, ID being the
// unique part of the stack's ID (arn:...:stack/NAME/ID):
//
//	/cfnfargate/STACK/ID/releases/000001          the release record, JSON
//	/cfnfargate/STACK/ID/templates/SHA256/0, 1... the template, gzip and base64, in parts
//	/cfnfargate/STACK/ID/settings/SHA256/0, 1...  the deploy's settings, the same way
//
// Releases recorded before histories had an ID (an earlier cfnfargate)
// are at /cfnfargate/STACK/releases and /cfnfargate/STACK/templates; they
// stay readable, and those recorded after the stack was created are its
// own (a deleted stack's were all recorded before it was gone).
//
// Names keep to what PutParameter allows (SSM API reference, PutParameter
// Name): a-zA-Z0-9_.- and "/" between levels, at most 15 levels (these
// have at most 6), at most 1011 characters, and no "aws" or "ssm" prefix. A
// stack name is [a-zA-Z][-a-zA-Z0-9]* of at most 128 characters, so every
// name fits. A template (up to 51,200 bytes as a TemplateBody) is stored
// compressed in parts of templatePart characters, once per content (the
// SHA-256 names it), so a release that changes only the image adds no
// template; so are the settings. A record is a few hundred bytes.
//
// Every parameter is written with the Intelligent-Tiering tier: Parameter
// Store makes it Standard (up to 4 KB, free) when it can, and Advanced
// (8 KB, charged) when the value is larger or when the account already
// holds the 10,000 Standard parameters a Region allows, rather than fail
// ("Specifying a default parameter tier", Systems Manager user guide,
// https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-default-tier.html).
// Parts of templatePart characters always fit a Standard parameter, so
// they cost nothing until the account reaches that quota.
const (
	historyRoot  = "/cfnfargate/"
	templatePart = 4096
	// recordMax is the Advanced tier's value limit.
	recordMax = 8192
)

// Release is one successful deploy of the stack, as the history records
// it.
type Release struct {
	Number int       `json:"number"`
	Time   time.Time `json:"time"`
	// StackID is the stack the release belongs to. Empty for a release
	// recorded by an earlier cfnfargate.
	StackID string `json:"stackId,omitempty"`
	// By is the caller's ARN (STS GetCallerIdentity).
	By string `json:"by,omitempty"`
	// Action is "deploy" or "rollback"; RollbackOf is the release a
	// rollback deployed again.
	Action     string `json:"action"`
	RollbackOf int    `json:"rollbackOf,omitempty"`
	// NoWait marks a release recorded when its change set started
	// executing, by a deploy that did not wait for the outcome: until the
	// stack runs its template (Confirmed), it may have rolled back.
	NoWait bool `json:"noWait,omitempty"`
	// Image is the ContainerImage parameter; ImageDigest the digest it
	// resolved to (sha256:...), when it could be resolved.
	Image        string            `json:"image,omitempty"`
	ImageDigest  string            `json:"imageDigest,omitempty"`
	Parameters   map[string]string `json:"parameters"`
	Capabilities []string          `json:"capabilities,omitempty"`
	// TemplateSHA256 names the template body; TemplateParts is how many
	// parameters hold it.
	TemplateSHA256 string `json:"templateSha256"`
	TemplateParts  int    `json:"templateParts"`
	// SettingsSHA256 names the settings the deploy resolved, stored as
	// the template is (ReleaseSettings reads them); SettingsParts is how
	// many parameters hold them. Empty for a release of an earlier
	// cfnfargate, or a rollback to one.
	SettingsSHA256 string `json:"settingsSha256,omitempty"`
	SettingsParts  int    `json:"settingsParts,omitempty"`
	// Sources say where the settings that were not at their defaults
	// came from, by key, in the caller's words.
	Sources map[string]string `json:"sources,omitempty"`
}

// PinnedImage is the release's image pinned by its digest
// (REPOSITORY@sha256:...), or the image as recorded when its digest is
// not known.
func (r Release) PinnedImage() string {
	if r.ImageDigest == "" {
		return r.Image
	}
	return imageRepository(r.Image) + "@" + r.ImageDigest
}

// imageRepository is an image reference without its tag and digest.
func imageRepository(image string) string {
	image, _, _ = strings.Cut(image, "@")
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		image = image[:i]
	}
	return image
}

// HistoryPath is the SSM path under which the history of the stack with
// stackID lives; with an empty ID, that of the releases an earlier
// cfnfargate recorded for any stack of the name.
func HistoryPath(stackName, stackID string) string {
	if stackID == "" {
		return historyRoot + stackName
	}
	return historyRoot + stackName + "/" + stackUUID(stackID)
}

// stackUUID is the unique part of a stack ID: its last segment
// (arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/UUID), kept to the
// characters an SSM name allows.
func stackUUID(stackID string) string {
	id := stackID[strings.LastIndex(stackID, "/")+1:]
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			return r
		}
		return '_'
	}, id)
}

// root is where r's parameters live.
func (r Release) root(stackName string) string { return HistoryPath(stackName, r.StackID) }

func releasesPath(root string) string      { return root + "/releases" }
func templatePath(root, sum string) string { return root + "/templates/" + sum }
func settingsPath(root, sum string) string { return root + "/settings/" + sum }

// ErrNoReleases reports a stack without a release history: none of its
// deploys was recorded.
var ErrNoReleases = errors.New("no releases recorded")

// ReleaseNotFoundError reports a release number the history lacks.
type ReleaseNotFoundError struct {
	Number int
	Known  []int
}

func (e *ReleaseNotFoundError) Error() string {
	known := make([]string, len(e.Known))
	for i, n := range e.Known {
		known[i] = strconv.Itoa(n)
	}
	return fmt.Sprintf("release %d is not in the history (it has %s)", e.Number, strings.Join(known, ", "))
}

// History returns the releases of the stack that has the name now,
// newest first: none of an earlier stack of the name. A stack that does
// not exist is an error wrapping deploy.ErrStackNotFound.
func History(ctx context.Context, c Clients, stackName string) ([]Release, error) {
	st, err := describeStack(ctx, c, stackName)
	if err != nil {
		return nil, err
	}
	return historyOf(ctx, c, stackName, st)
}

// historyOf returns the releases of st, newest first: those under its
// own path and, from an earlier cfnfargate, those under the name's path
// that were recorded after it was created.
func historyOf(ctx context.Context, c Clients, stackName string, st *cftypes.Stack) ([]Release, error) {
	id := aws.ToString(st.StackId)
	releases, err := readReleases(ctx, c, HistoryPath(stackName, id), stackName)
	if err != nil {
		return nil, err
	}
	// A history that starts at release 1 under the stack's own path has
	// adopted nothing; else the name's old path may hold its beginning.
	if len(releases) == 0 || releases[len(releases)-1].Number > 1 {
		legacy, err := readReleases(ctx, c, HistoryPath(stackName, ""), stackName)
		if err != nil {
			return nil, err
		}
		created := aws.ToTime(st.CreationTime)
		for _, r := range legacy {
			if r.StackID == "" && !r.Time.Before(created) {
				releases = append(releases, r)
			}
		}
		sortNewestFirst(releases)
	}
	return releases, nil
}

func sortNewestFirst(releases []Release) {
	sort.Slice(releases, func(i, j int) bool { return releases[i].Number > releases[j].Number })
}

// readReleases reads the records under root, newest first.
func readReleases(ctx context.Context, c Clients, root, stackName string) ([]Release, error) {
	var releases []Release
	in := &ssm.GetParametersByPathInput{Path: aws.String(releasesPath(root)), MaxResults: aws.Int32(10)}
	for {
		out, err := c.SSM.GetParametersByPath(ctx, in)
		if err != nil {
			return nil, callError("ssm:GetParametersByPath", "read the release history of stack "+stackName, err)
		}
		for _, p := range out.Parameters {
			var r Release
			if err := json.Unmarshal([]byte(aws.ToString(p.Value)), &r); err != nil {
				return nil, fmt.Errorf("release record %s: %w", aws.ToString(p.Name), err)
			}
			releases = append(releases, r)
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	sortNewestFirst(releases)
	return releases, nil
}

// FindRelease returns release n of releases (newest first).
func FindRelease(releases []Release, n int) (Release, error) {
	for _, r := range releases {
		if r.Number == n {
			return r, nil
		}
	}
	e := &ReleaseNotFoundError{Number: n}
	for _, r := range releases {
		e.Known = append(e.Known, r.Number)
	}
	return Release{}, e
}

// RecordOptions say what kind of release is recorded.
type RecordOptions struct {
	Action     string // "deploy" when empty
	RollbackOf int
	Now        func() time.Time
	// Keep is how many releases the history keeps; zero means
	// DefaultKeep.
	Keep int
	// Settings are the settings the deploy resolved, by key, as Set
	// reads them; Sources where those not at their defaults came from.
	// Nil records none (the next deploy then has none to keep).
	Settings map[string][]string
	Sources  map[string]string
	// SettingsOf, when not nil, records the settings of that release of
	// the stack instead: a rollback restores the settings it ran with.
	SettingsOf *Release
	// NoWait records a deploy whose change set has started executing
	// and was not waited for; TemplateBody is then the body it sent, as
	// the stack may not hold it yet.
	NoWait       bool
	TemplateBody string
}

// DefaultKeep is how many releases a stack's history keeps: Standard
// parameters are limited to 10,000 per account and Region (Systems
// Manager service quotas), and with Intelligent-Tiering the ones beyond
// are charged as Advanced.
const DefaultKeep = 100

// Record adds the stack as it now is to its release history: its
// parameters, its template, the settings the deploy resolved, the caller,
// and the image's digest when it can be resolved (from the reference
// itself, ECR DescribeImages, or the digest ECS reports for the service's
// running tasks).
func Record(ctx context.Context, c Clients, stackName string, o RecordOptions) (*Release, error) {
	st, err := describeStack(ctx, c, stackName)
	if err != nil {
		return nil, err
	}
	body := o.TemplateBody
	if body == "" {
		tpl, err := c.CloudFormation.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: st.StackId, TemplateStage: cftypes.TemplateStageOriginal})
		if err != nil {
			return nil, callError("cloudformation:GetTemplate", "read the template of stack "+stackName, err)
		}
		body = aws.ToString(tpl.TemplateBody)
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	r := Release{Time: now().UTC(), StackID: aws.ToString(st.StackId), Action: o.Action, RollbackOf: o.RollbackOf, NoWait: o.NoWait,
		Parameters: map[string]string{}, Capabilities: []string{}, Sources: o.Sources}
	if r.Action == "" {
		r.Action = "deploy"
	}
	for _, p := range st.Parameters {
		// ResolvedValue is an SSM parameter's value; the template and
		// the history keep the parameter's own.
		r.Parameters[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	for _, capability := range st.Capabilities {
		r.Capabilities = append(r.Capabilities, string(capability))
	}
	r.Image = r.Parameters[stack.ParamContainerImage]
	if c.STS != nil {
		if id, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
			r.By = aws.ToString(id.Arn)
		}
	}
	r.ImageDigest = resolveDigest(ctx, c, stackName, r.Image)

	root := r.root(stackName)
	r.TemplateSHA256 = sha256Of([]byte(body))
	if r.TemplateParts, err = storeParts(ctx, c, templatePath(root, r.TemplateSHA256), []byte(body), "the template of stack "+stackName); err != nil {
		return nil, err
	}
	switch {
	case o.SettingsOf != nil:
		// A release of the same stack, so its settings are stored under
		// the same path already; one of an earlier cfnfargate has none.
		from := *o.SettingsOf
		r.Sources, r.SettingsSHA256, r.SettingsParts = from.Sources, from.SettingsSHA256, from.SettingsParts
	case o.Settings != nil:
		if err := storeSettings(ctx, c, stackName, root, &r, o.Settings); err != nil {
			return nil, err
		}
	}
	existing, err := historyOf(ctx, c, stackName, st)
	if err != nil {
		return nil, err
	}
	if err := putRecord(ctx, c, stackName, &r, existing); err != nil {
		return nil, err
	}
	keep := o.Keep
	if keep <= 0 {
		keep = DefaultKeep
	}
	if err := prune(ctx, c, stackName, append([]Release{r}, existing...), keep); err != nil {
		return &r, fmt.Errorf("recorded release %d, but could not remove the oldest: %w", r.Number, err)
	}
	return &r, nil
}

// storeSettings stores settings under root, once per content, and names
// them in r.
func storeSettings(ctx context.Context, c Clients, stackName, root string, r *Release, settings map[string][]string) error {
	// encoding/json writes a map's keys sorted, so the same settings
	// have the same SHA-256.
	data, err := json.Marshal(settings)
	if err != nil {
		return err
	}
	r.SettingsSHA256 = sha256Of(data)
	r.SettingsParts, err = storeParts(ctx, c, settingsPath(root, r.SettingsSHA256), data, "the settings of stack "+stackName)
	return err
}

// ReleaseSettings reads the settings a release's deploy resolved, by
// key; nil for a release without them (recorded by an earlier cfnfargate,
// or a rollback to such a release).
func ReleaseSettings(ctx context.Context, c Clients, stackName string, r Release) (map[string][]string, error) {
	if r.SettingsSHA256 == "" {
		return nil, nil
	}
	data, err := readParts(ctx, c, settingsPath(r.root(stackName), r.SettingsSHA256), r.SettingsParts, r.SettingsSHA256,
		fmt.Sprintf("the settings of release %d", r.Number))
	if err != nil {
		return nil, err
	}
	var settings map[string][]string
	if err := json.Unmarshal(data, &settings); err != nil {
		return nil, fmt.Errorf("the settings of release %d: %w", r.Number, err)
	}
	return settings, nil
}

func sha256Of(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// prune deletes the releases of releases (newest first) after the newest
// keep, and the templates and settings that only they used.
func prune(ctx context.Context, c Clients, stackName string, releases []Release, keep int) error {
	sortNewestFirst(releases)
	if len(releases) <= keep {
		return nil
	}
	used := map[string]bool{}
	for _, r := range releases[:keep] {
		root := r.root(stackName)
		used[templatePath(root, r.TemplateSHA256)] = true
		used[settingsPath(root, r.SettingsSHA256)] = true
	}
	var names []string
	drop := func(path string, parts int) {
		if used[path] {
			return
		}
		used[path] = true // once
		for i := 0; i < parts; i++ {
			names = append(names, fmt.Sprintf("%s/%d", path, i))
		}
	}
	for _, r := range releases[keep:] {
		root := r.root(stackName)
		names = append(names, fmt.Sprintf("%s/%06d", releasesPath(root), r.Number))
		drop(templatePath(root, r.TemplateSHA256), r.TemplateParts)
		if r.SettingsSHA256 != "" {
			drop(settingsPath(root, r.SettingsSHA256), r.SettingsParts)
		}
	}
	// DeleteParameters takes up to 10 names (SSM API reference,
	// DeleteParameters Names).
	for start := 0; start < len(names); start += 10 {
		batch := names[start:min(start+10, len(names))]
		if _, err := c.SSM.DeleteParameters(ctx, &ssm.DeleteParametersInput{Names: batch}); err != nil {
			return callError("ssm:DeleteParameters", "remove old releases of stack "+stackName, err)
		}
	}
	return nil
}

// describeStack returns the stack, or an error wrapping
// deploy.ErrStackNotFound.
func describeStack(ctx context.Context, c Clients, stackName string) (*cftypes.Stack, error) {
	out, err := c.CloudFormation.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stackName)})
	if err != nil {
		if errorCode(err) == "ValidationError" && strings.Contains(err.Error(), "does not exist") {
			return nil, fmt.Errorf("stack %s: %w", stackName, deploy.ErrStackNotFound)
		}
		return nil, callError("cloudformation:DescribeStacks", "describe stack "+stackName, err)
	}
	if len(out.Stacks) == 0 {
		return nil, fmt.Errorf("stack %s: %w", stackName, deploy.ErrStackNotFound)
	}
	return &out.Stacks[0], nil
}

// putRecord writes r under the number after the newest of existing (the
// stack's history, newest first), in r's own path. Overwrite false makes
// PutParameter fail with ParameterAlreadyExists when another deploy took
// the number first; the next one is tried then.
func putRecord(ctx context.Context, c Clients, stackName string, r *Release, existing []Release) error {
	r.Number = 1
	if len(existing) > 0 {
		r.Number = existing[0].Number + 1
	}
	for attempt := 0; attempt < 5; attempt++ {
		value, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if len(value) > recordMax {
			return fmt.Errorf("release record of stack %s is %d bytes; SSM takes at most %d", stackName, len(value), recordMax)
		}
		_, err = c.SSM.PutParameter(ctx, &ssm.PutParameterInput{
			Name:        aws.String(fmt.Sprintf("%s/%06d", releasesPath(r.root(stackName)), r.Number)),
			Value:       aws.String(string(value)),
			Type:        ssmtypes.ParameterTypeString,
			Tier:        ssmtypes.ParameterTierIntelligentTiering,
			Description: aws.String("cfnfargate release of stack " + stackName),
			Overwrite:   aws.Bool(false),
		})
		if errorCode(err) == "ParameterAlreadyExists" {
			r.Number++
			continue
		}
		return callError("ssm:PutParameter", "record release "+strconv.Itoa(r.Number)+" of stack "+stackName, err)
	}
	return fmt.Errorf("record a release of stack %s: release numbers up to %d are taken", stackName, r.Number)
}

// storeParts writes data, gzip and base64, in parts under path unless
// they are stored already, and returns the number of parts. what names
// the data in errors.
func storeParts(ctx context.Context, c Clients, path string, data []byte, what string) (int, error) {
	var zipped bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zipped, gzip.BestCompression)
	zw.Write(data)
	zw.Close()
	encoded := base64.StdEncoding.EncodeToString(zipped.Bytes())
	var parts []string
	for len(encoded) > templatePart {
		parts = append(parts, encoded[:templatePart])
		encoded = encoded[templatePart:]
	}
	parts = append(parts, encoded)
	for i, part := range parts {
		_, err := c.SSM.PutParameter(ctx, &ssm.PutParameterInput{
			Name:  aws.String(fmt.Sprintf("%s/%d", path, i)),
			Value: aws.String(part),
			Type:  ssmtypes.ParameterTypeString,
			// Standard while the account has room for it, Advanced
			// beyond its 10,000 Standard parameters, rather than fail
			// (H2 of the second real-AWS review; see the layout above).
			Tier:      ssmtypes.ParameterTierIntelligentTiering,
			Overwrite: aws.Bool(false),
		})
		// The same content under the same name: stored by an earlier
		// release.
		if errorCode(err) == "ParameterAlreadyExists" {
			continue
		}
		if err != nil {
			return 0, callError("ssm:PutParameter", "store "+what, err)
		}
	}
	return len(parts), nil
}

// readParts reads what storeParts stored under path, and checks it
// against its SHA-256.
func readParts(ctx context.Context, c Clients, path string, n int, sum, what string) ([]byte, error) {
	parts := map[string]string{}
	in := &ssm.GetParametersByPathInput{Path: aws.String(path), MaxResults: aws.Int32(10)}
	for {
		out, err := c.SSM.GetParametersByPath(ctx, in)
		if err != nil {
			return nil, callError("ssm:GetParametersByPath", "read "+what, err)
		}
		for _, p := range out.Parameters {
			name := aws.ToString(p.Name)
			parts[name[strings.LastIndex(name, "/")+1:]] = aws.ToString(p.Value)
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	var encoded strings.Builder
	for i := 0; i < n; i++ {
		part, ok := parts[strconv.Itoa(i)]
		if !ok {
			return nil, fmt.Errorf("%s is incomplete: part %d of %d is missing from %s", what, i, n, path)
		}
		encoded.WriteString(part)
	}
	zipped, err := base64.StdEncoding.DecodeString(encoded.String())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if sha256Of(data) != sum {
		return nil, fmt.Errorf("%s does not match its SHA-256 %s", what, sum)
	}
	return data, nil
}

// ReleaseTemplate reads the template body a release used, and checks it
// against the release's SHA-256.
func ReleaseTemplate(ctx context.Context, c Clients, stackName string, r Release) (string, error) {
	body, err := readParts(ctx, c, templatePath(r.root(stackName), r.TemplateSHA256), r.TemplateParts, r.TemplateSHA256,
		fmt.Sprintf("the template of release %d", r.Number))
	return string(body), err
}

// Confirmed reports whether the stack runs r's template: a release not
// waited for (NoWait) whose deploy rolled back does not. templateBody is
// the stack's template now (GetTemplate).
func (r Release) Confirmed(templateBody string) bool {
	return !r.NoWait || sha256Of([]byte(templateBody)) == r.TemplateSHA256
}

// ecrReference matches an image in a private ECR repository: registry
// ACCOUNT.dkr.ecr.REGION.amazonaws.com, a repository, a tag or a digest.
var ecrReference = lazyregexp.New(`^([0-9]{12})\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/([a-z0-9][a-z0-9._/-]*?)(?::([A-Za-z0-9_][A-Za-z0-9_.-]*))?(?:@(.*))?$`)

// digestPattern is a sha256 digest as registries report it.
var digestPattern = lazyregexp.New(`^sha256:[0-9a-f]{64}$`)

// resolveDigest finds the digest of image: the one it names, the one ECR
// has for its tag, or the one ECS reports for the service's running tasks
// of the current task definition. "" when none of them knows.
func resolveDigest(ctx context.Context, c Clients, stackName, image string) string {
	if _, digest, ok := strings.Cut(image, "@"); ok && digestPattern.MatchString(digest) {
		return digest
	}
	if m := ecrReference.FindStringSubmatch(image); m != nil && c.ECR != nil {
		tag := m[3]
		if tag == "" {
			tag = "latest"
		}
		out, err := c.ECR.DescribeImages(ctx, &ecr.DescribeImagesInput{
			RegistryId:     aws.String(m[1]),
			RepositoryName: aws.String(m[2]),
			ImageIds:       []ecrtypes.ImageIdentifier{{ImageTag: aws.String(tag)}},
		})
		if err == nil && len(out.ImageDetails) > 0 && digestPattern.MatchString(aws.ToString(out.ImageDetails[0].ImageDigest)) {
			return aws.ToString(out.ImageDetails[0].ImageDigest)
		}
	}
	if c.ECS == nil {
		return ""
	}
	svc, err := Find(ctx, c, stackName)
	if err != nil {
		return ""
	}
	tasks, err := ListTasks(ctx, c, svc, false)
	if err != nil {
		return ""
	}
	for _, t := range tasks {
		if t.TaskDefinition != svc.TaskDefinition || t.LastStatus != "RUNNING" {
			continue
		}
		if app, ok := t.container(svc.Container); ok && app.Image == image && digestPattern.MatchString(app.ImageDigest) {
			return app.ImageDigest
		}
	}
	return ""
}

// Change is one difference between two releases.
type Change struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// ReleaseDiff is what changed from one release to another.
type ReleaseDiff struct {
	From    int      `json:"from"`
	To      int      `json:"to"`
	Changes []Change `json:"changes"`
	// TemplateLines is a line diff of the templates ("-" and "+" lines
	// with their context), empty when the templates are the same.
	TemplateLines []string `json:"templateLines,omitempty"`
}

// DiffReleases compares two releases: image, digest, every parameter,
// capabilities, the settings (when both recorded theirs) and the
// template.
func DiffReleases(ctx context.Context, c Clients, stackName string, a, b Release) (*ReleaseDiff, error) {
	d := &ReleaseDiff{From: a.Number, To: b.Number}
	add := func(field, from, to string) {
		if from != to {
			d.Changes = append(d.Changes, Change{Field: field, From: from, To: to})
		}
	}
	add("image digest", a.ImageDigest, b.ImageDigest)
	names := map[string]bool{}
	for k := range a.Parameters {
		names[k] = true
	}
	for k := range b.Parameters {
		names[k] = true
	}
	sorted := make([]string, 0, len(names))
	for k := range names {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		add("parameter "+k, a.Parameters[k], b.Parameters[k])
	}
	add("capabilities", strings.Join(a.Capabilities, ","), strings.Join(b.Capabilities, ","))
	if a.SettingsSHA256 != b.SettingsSHA256 && a.SettingsSHA256 != "" && b.SettingsSHA256 != "" {
		before, err := ReleaseSettings(ctx, c, stackName, a)
		if err != nil {
			return nil, err
		}
		after, err := ReleaseSettings(ctx, c, stackName, b)
		if err != nil {
			return nil, err
		}
		keys := map[string]bool{}
		for k := range before {
			keys[k] = true
		}
		for k := range after {
			keys[k] = true
		}
		sortedKeys := make([]string, 0, len(keys))
		for k := range keys {
			sortedKeys = append(sortedKeys, k)
		}
		sort.Strings(sortedKeys)
		for _, k := range sortedKeys {
			add("setting "+k, strings.Join(before[k], ","), strings.Join(after[k], ","))
		}
	}
	add("template SHA-256", a.TemplateSHA256, b.TemplateSHA256)
	if a.TemplateSHA256 == b.TemplateSHA256 {
		return d, nil
	}
	before, err := ReleaseTemplate(ctx, c, stackName, a)
	if err != nil {
		return nil, err
	}
	after, err := ReleaseTemplate(ctx, c, stackName, b)
	if err != nil {
		return nil, err
	}
	d.TemplateLines = lineDiff(strings.Split(before, "\n"), strings.Split(after, "\n"), 2)
	return d, nil
}

// lineDiff is a unified-style diff of a and b: changed lines with "-" and
// "+", context lines of each change with " ", and "@@" between hunks. It
// uses the longest common subsequence, which for templates of a few
// hundred lines is instant.
func lineDiff(a, b []string, context int) []string {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		op   byte
		text string
	}
	var all []line
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			all = append(all, line{' ', a[i]})
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			all = append(all, line{'-', a[i]})
			i++
		default:
			all = append(all, line{'+', b[j]})
			j++
		}
	}
	keep := make([]bool, len(all))
	for k, l := range all {
		if l.op == ' ' {
			continue
		}
		for x := max(0, k-context); x <= min(len(all)-1, k+context); x++ {
			keep[x] = true
		}
	}
	var out []string
	gap := false
	for k, l := range all {
		if !keep[k] {
			gap = true
			continue
		}
		if gap && len(out) > 0 {
			out = append(out, "@@")
		}
		gap = false
		out = append(out, string(l.op)+" "+l.text)
	}
	return out
}

// Remembered is what a stack holds of its last deploy, for the next one to
// keep the settings it is not given: the newest release the stack runs,
// with the settings it recorded, and the stack's parameters and template
// as they are now (scale changes the counts between releases).
type Remembered struct {
	StackID string
	// Release is the newest release the stack runs; nil when none is
	// recorded.
	Release *Release
	// Settings are Release's settings; nil when it recorded none (it is
	// an earlier cfnfargate's, or there is no release).
	Settings map[string][]string
	// Parameters are the stack's parameter values now.
	Parameters map[string]string
	// Template is the stack's template now, read when there are no
	// settings to keep (its names are then the best guide), or to confirm
	// a release not waited for; else "".
	Template string
	// Unconfirmed are the newer releases of deploys not waited for that
	// the stack does not run: they rolled back.
	Unconfirmed []Release
	// Status is the stack's status now.
	Status string
}

// Remember reads what the stack of the name holds of its last deploy. A
// stack that does not exist is an error wrapping deploy.ErrStackNotFound.
func Remember(ctx context.Context, c Clients, stackName string) (*Remembered, error) {
	st, err := describeStack(ctx, c, stackName)
	if err != nil {
		return nil, err
	}
	m := &Remembered{StackID: aws.ToString(st.StackId), Parameters: map[string]string{}, Status: string(st.StackStatus)}
	for _, p := range st.Parameters {
		m.Parameters[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	releases, err := historyOf(ctx, c, stackName, st)
	if err != nil {
		return nil, err
	}
	template := func() (string, error) {
		if m.Template != "" {
			return m.Template, nil
		}
		out, err := c.CloudFormation.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: st.StackId, TemplateStage: cftypes.TemplateStageOriginal})
		if err != nil {
			return "", callError("cloudformation:GetTemplate", "read the template of stack "+stackName, err)
		}
		m.Template = aws.ToString(out.TemplateBody)
		return m.Template, nil
	}
	// While the stack is busy with an update that has not failed, the
	// newest release not waited for is the update under way: the deploy
	// that keeps its settings waits for it to end.
	busy := strings.HasSuffix(m.Status, "_IN_PROGRESS") && !strings.Contains(m.Status, "ROLLBACK")
	for _, r := range releases {
		if r.NoWait && !busy {
			body, err := template()
			if err != nil {
				return nil, err
			}
			if !r.Confirmed(body) {
				m.Unconfirmed = append(m.Unconfirmed, r)
				continue
			}
		}
		m.Release = &r
		break
	}
	if m.Release != nil {
		if m.Settings, err = ReleaseSettings(ctx, c, stackName, *m.Release); err != nil {
			return nil, err
		}
	}
	if m.Settings == nil {
		if _, err := template(); err != nil {
			return nil, err
		}
	}
	return m, nil
}
