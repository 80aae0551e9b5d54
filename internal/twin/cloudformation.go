package twin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The CloudFormation engine: stacks, change sets and stack operations over
// virtual time. It interprets the templates cfnfargate emits (parameters,
// conditions, the intrinsics they use, DependsOn and implicit ordering,
// outputs) and provisions each resource through a provider
// (resources.go). What it models of CloudFormation's behaviour:
//
//   - A change set compares the new template with the previous one, not
//     with live state (B33), and names a replacement when a create-only
//     property changes (testdata/schemas/create-only.json).
//   - A failed or cancelled update puts every resource it modified back to
//     the previous template's properties (B28, B29), so a listener rule
//     whose weights ECS moved gets the previous template's weights back, and
//     the rollback of an AWS::ECS::Service is another UpdateService, hence
//     another ECS deployment that runs the hooks again (B31).
//   - A rollback step that fails leaves UPDATE_ROLLBACK_FAILED until
//     ContinueUpdateRollback (B32).

type cloudFormation struct {
	stacks     []*cfnStack
	changeSets map[string]*changeSet
}

func newCloudFormation() *cloudFormation {
	return &cloudFormation{changeSets: map[string]*changeSet{}}
}

type cfnStack struct {
	name, id       string
	status, reason string
	created        time.Time
	updated        time.Time
	tmpl           *template
	params         map[string]string
	tags           [][2]string
	capabilities   []string
	resources      map[string]*cfnResource
	events         []stackEvent
	op             *operation
	outputs        [][3]string
	protection     bool
	lastFailedStep string
}

type cfnResource struct {
	logical, typ, physical string
	attrs                  map[string]any
	props                  map[string]any // properties last applied
	status, reason         string
	updated                time.Time
	// service is set for AWS::ECS::Service: the deployment a step waits for.
	waitDeployment string
}

type stackEvent struct {
	id, logical, physical, typ, status, reason, token string
	at                                                time.Time
}

type changeSet struct {
	arn, name, stackID, typ    string
	status, execStatus, reason string
	tmpl                       *template
	params                     map[string]string
	paramKeys                  []string
	tags                       [][2]string
	capabilities               []string
	changes                    []resourceChange
	created                    time.Time
}

type resourceChange struct {
	action, logical, physical, typ, replacement string
	details                                     []string // top-level properties that changed
	recreate                                    map[string]bool
}

// operation is a stack operation under way.
type operation struct {
	kind      string // CREATE, UPDATE, DELETE
	token     string
	phase     string // forward, cleanup, rollback, rollbackCleanup, delete
	oldTmpl   *template
	oldParams map[string]string
	newTmpl   *template
	newParams map[string]string
	queue     []*opStep
	pos       int
	done      []*opStep
	cleanup   []*cfnResource // resources to delete at the end of the phase
	notBefore time.Time
	cancelled bool
	// halted is a rollback that failed: UPDATE_ROLLBACK_FAILED, until
	// ContinueUpdateRollback (B32).
	halted bool
}

type opStep struct {
	action  string // create, update, replace, delete, revert
	logical string
	started bool
	until   time.Time
	wait    func() (bool, error)
	// prev is the resource a replacement replaced, or a revert restores.
	prev *cfnResource
	// touched is set once the provider was called: a rollback must undo it.
	touched bool
}

const cfnNamespace = "http://cloudformation.amazonaws.com/doc/2010-05-15/"

func (tw *Twin) cloudFormationAPI(action string, p params) (func(*xmlw), *apiError) {
	cf := tw.cfn
	now := tw.Clock.Now()
	switch action {
	case "CreateChangeSet":
		return cf.createChangeSet(tw, p, now)
	case "DescribeChangeSet":
		cs := cf.findChangeSet(p.str("ChangeSetName"), p.str("StackName"))
		if cs == nil {
			return nil, errorf(http.StatusNotFound, "ChangeSetNotFound", "ChangeSet [%s] does not exist", p.str("ChangeSetName"))
		}
		return func(w *xmlw) { cf.writeChangeSet(w, cs) }, nil
	case "ExecuteChangeSet":
		return cf.executeChangeSet(tw, p, now)
	case "DeleteChangeSet":
		cs := cf.findChangeSet(p.str("ChangeSetName"), p.str("StackName"))
		if cs == nil {
			return nil, errorf(http.StatusNotFound, "ChangeSetNotFound", "ChangeSet [%s] does not exist", p.str("ChangeSetName"))
		}
		delete(cf.changeSets, cs.arn)
		if st := cf.byID(cs.stackID); st != nil && st.status == "REVIEW_IN_PROGRESS" && cs.typ == "CREATE" {
			st.status = "DELETE_COMPLETE"
		}
		return nil, nil
	case "ListChangeSets":
		st := cf.find(p.str("StackName"))
		return func(w *xmlw) {
			var sets []*changeSet
			for _, cs := range cf.changeSets {
				if st != nil && cs.stackID == st.id {
					sets = append(sets, cs)
				}
			}
			w.members("Summaries", len(sets), func(i int) {
				w.leaf("ChangeSetId", sets[i].arn)
				w.leaf("ChangeSetName", sets[i].name)
				w.leaf("Status", sets[i].status)
				w.leaf("ExecutionStatus", sets[i].execStatus)
			})
		}, nil
	case "CreateStack":
		return cf.createStack(tw, p, now)
	case "DescribeStacks":
		var list []*cfnStack
		if name := p.str("StackName"); name != "" {
			st := cf.find(name)
			if st == nil {
				return nil, validation("Stack with id %s does not exist", name)
			}
			list = []*cfnStack{st}
		} else {
			for _, st := range cf.stacks {
				if st.status != "DELETE_COMPLETE" {
					list = append(list, st)
				}
			}
		}
		return func(w *xmlw) {
			w.members("Stacks", len(list), func(i int) { cf.writeStack(w, list[i]) })
		}, nil
	case "DescribeStackEvents":
		st := cf.find(p.str("StackName"))
		if st == nil {
			return nil, validation("Stack [%s] does not exist", p.str("StackName"))
		}
		start, _ := strconv.Atoi(p.str("NextToken"))
		const page = 100
		n := len(st.events)
		end := min(start+page, n)
		return func(w *xmlw) {
			w.open("StackEvents")
			for i := start; i < end; i++ {
				e := st.events[n-1-i] // newest first
				w.open("member")
				w.leaf("StackId", st.id)
				w.leaf("StackName", st.name)
				w.leaf("EventId", e.id)
				w.leaf("LogicalResourceId", e.logical)
				w.opt("PhysicalResourceId", e.physical)
				w.leaf("ResourceType", e.typ)
				w.time("Timestamp", e.at)
				w.leaf("ResourceStatus", e.status)
				w.opt("ResourceStatusReason", e.reason)
				w.opt("ClientRequestToken", e.token)
				w.close("member")
			}
			w.close("StackEvents")
			if end < n {
				w.leaf("NextToken", strconv.Itoa(end))
			}
		}, nil
	case "GetTemplate":
		var body string
		if name := p.str("ChangeSetName"); name != "" {
			cs := cf.findChangeSet(name, p.str("StackName"))
			if cs == nil {
				return nil, errorf(http.StatusNotFound, "ChangeSetNotFound", "ChangeSet [%s] does not exist", name)
			}
			body = cs.tmpl.Body
		} else {
			st := cf.find(p.str("StackName"))
			if st == nil || st.tmpl == nil {
				return nil, validation("Stack with id %s does not exist", p.str("StackName"))
			}
			body = st.tmpl.Body
		}
		return func(w *xmlw) { w.leaf("TemplateBody", body) }, nil
	case "ListStackResources", "DescribeStackResources":
		st := cf.find(p.str("StackName"))
		if st == nil {
			return nil, validation("Stack with id %s does not exist", p.str("StackName"))
		}
		names := make([]string, 0, len(st.resources))
		for n := range st.resources {
			names = append(names, n)
		}
		sort.Strings(names)
		if id := p.str("LogicalResourceId"); id != "" {
			names = []string{id}
			if st.resources[id] == nil {
				return nil, validation("Resource %s does not exist for stack %s", id, st.name)
			}
		}
		listName := "StackResourceSummaries"
		if action == "DescribeStackResources" {
			listName = "StackResources"
		}
		return func(w *xmlw) {
			w.members(listName, len(names), func(i int) {
				r := st.resources[names[i]]
				if action == "DescribeStackResources" {
					w.leaf("StackName", st.name)
					w.leaf("StackId", st.id)
				}
				w.leaf("LogicalResourceId", r.logical)
				w.opt("PhysicalResourceId", r.physical)
				w.leaf("ResourceType", r.typ)
				w.leaf("ResourceStatus", r.status)
				w.opt("ResourceStatusReason", r.reason)
				if action == "DescribeStackResources" {
					w.time("Timestamp", r.updated)
				} else {
					w.time("LastUpdatedTimestamp", r.updated)
				}
			})
		}, nil
	case "DeleteStack":
		st := cf.find(p.str("StackName"))
		if st == nil || st.status == "DELETE_COMPLETE" {
			return nil, nil // deleting a stack that is gone succeeds
		}
		if st.protection {
			return nil, validation("Stack [%s] cannot be deleted while TerminationProtection is enabled", st.name)
		}
		if strings.HasSuffix(st.status, "_IN_PROGRESS") && st.status != "REVIEW_IN_PROGRESS" {
			if st.status == "DELETE_IN_PROGRESS" {
				return nil, nil
			}
			return nil, validation("Stack [%s] cannot be deleted while in status %s", st.name, st.status)
		}
		cf.startDelete(tw, st, p.str("ClientRequestToken"), now)
		return nil, nil
	case "CancelUpdateStack":
		st := cf.find(p.str("StackName"))
		if st == nil {
			return nil, validation("Stack with id %s does not exist", p.str("StackName"))
		}
		// "You can cancel only stacks that are in the UPDATE_IN_PROGRESS
		// state." (CFN API reference, CancelUpdateStack) (B29)
		if st.status != "UPDATE_IN_PROGRESS" || st.op == nil {
			return nil, validation("CancelUpdateStack cannot be called from current stack status")
		}
		if tok := p.str("ClientRequestToken"); tok != "" {
			st.op.token = tok
		}
		st.op.cancelled = true
		return nil, nil
	case "ContinueUpdateRollback":
		st := cf.find(p.str("StackName"))
		if st == nil {
			return nil, validation("Stack with id %s does not exist", p.str("StackName"))
		}
		if st.status != "UPDATE_ROLLBACK_FAILED" || st.op == nil {
			return nil, validation("Stack %s is in %s state and can not continue update rollback", st.name, st.status)
		}
		skip := map[string]bool{}
		for _, s := range p.strs("ResourcesToSkip") {
			skip[s] = true
		}
		cf.continueRollback(tw, st, skip, p.str("ClientRequestToken"), now)
		return nil, nil
	case "UpdateTerminationProtection":
		st := cf.find(p.str("StackName"))
		if st == nil {
			return nil, validation("Stack with id %s does not exist", p.str("StackName"))
		}
		st.protection = p.str("EnableTerminationProtection") == "true"
		return func(w *xmlw) { w.leaf("StackId", st.id) }, nil
	case "ValidateTemplate":
		if _, err := parseTemplate(p.str("TemplateBody")); err != nil {
			return nil, validation("%v", err)
		}
		return nil, nil
	}
	return nil, errorf(http.StatusBadRequest, "InvalidAction", "the twin does not model CloudFormation %s", action)
}

// find returns the live stack named name (or with ID name); a deleted
// stack only by its ID.
func (cf *cloudFormation) find(name string) *cfnStack {
	for i := len(cf.stacks) - 1; i >= 0; i-- {
		st := cf.stacks[i]
		if st.id == name {
			return st
		}
		if st.name == name && st.status != "DELETE_COMPLETE" {
			return st
		}
	}
	return nil
}

func (cf *cloudFormation) byID(id string) *cfnStack {
	for _, st := range cf.stacks {
		if st.id == id {
			return st
		}
	}
	return nil
}

func (cf *cloudFormation) findChangeSet(name, stackName string) *changeSet {
	if cs, ok := cf.changeSets[name]; ok {
		return cs
	}
	st := cf.find(stackName)
	for _, cs := range cf.changeSets {
		if cs.name == name && st != nil && cs.stackID == st.id {
			return cs
		}
	}
	return nil
}

func (cf *cloudFormation) writeStack(w *xmlw, st *cfnStack) {
	w.leaf("StackId", st.id)
	w.leaf("StackName", st.name)
	w.time("CreationTime", st.created)
	if !st.updated.IsZero() && !st.updated.Equal(st.created) {
		w.time("LastUpdatedTime", st.updated)
	}
	w.leaf("StackStatus", st.status)
	w.opt("StackStatusReason", st.reason)
	w.leaf("DisableRollback", "false")
	w.leaf("EnableTerminationProtection", strconv.FormatBool(st.protection))
	keys := sortedKeys(st.params)
	w.members("Parameters", len(keys), func(i int) {
		w.leaf("ParameterKey", keys[i])
		w.leaf("ParameterValue", st.params[keys[i]])
	})
	w.members("Outputs", len(st.outputs), func(i int) {
		w.leaf("OutputKey", st.outputs[i][0])
		w.leaf("OutputValue", st.outputs[i][1])
		w.opt("Description", st.outputs[i][2])
	})
	w.members("Tags", len(st.tags), func(i int) {
		w.leaf("Key", st.tags[i][0])
		w.leaf("Value", st.tags[i][1])
	})
	w.members("Capabilities", len(st.capabilities), func(i int) { w.b.WriteString(st.capabilities[i]) })
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// resolveParams takes the values of a change set's parameters: given,
// previous (UsePreviousValue) or the default.
func resolveParams(t *template, given []any, previous map[string]string) (map[string]string, *apiError) {
	in := map[string]map[string]any{}
	for _, g := range given {
		m := asMap(g)
		in[str(m["ParameterKey"])] = m
	}
	out := map[string]string{}
	var missing []string
	for name, def := range t.Parameters {
		g, ok := in[name]
		switch {
		case ok && str(g["UsePreviousValue"]) == "true":
			prev, had := previous[name]
			if !had {
				return nil, validation("Invalid input for parameter key %s. Cannot specify usePreviousValue as true for a parameter key not in the previous template", name)
			}
			out[name] = prev
		case ok:
			out[name] = str(g["ParameterValue"])
		case def["Default"] != nil:
			out[name] = str(def["Default"])
			if l, isList := def["Default"].([]any); isList {
				parts := make([]string, len(l))
				for i := range l {
					parts[i] = str(l[i])
				}
				out[name] = strings.Join(parts, ",")
			}
		default:
			missing = append(missing, name)
		}
		if allowed, ok := def["AllowedValues"].([]any); ok && out[name] != "" {
			found := false
			for _, a := range allowed {
				if str(a) == out[name] {
					found = true
				}
			}
			if !found {
				return nil, validation("Parameter '%s' must be one of AllowedValues", name)
			}
		}
	}
	for name := range in {
		if _, ok := t.Parameters[name]; !ok {
			return nil, validation("Parameters: [%s] do not exist in the template", name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, validation("Parameters: [%s] must have values", strings.Join(missing, ", "))
	}
	return out, nil
}

func isListParam(def map[string]any) bool {
	t := str(def["Type"])
	return strings.HasPrefix(t, "List<") || t == "CommaDelimitedList"
}

// scopeFor is an evaluation scope over the stack's live resources. Resources
// in pending are not known yet (created or replaced by the operation).
func (tw *Twin) scopeFor(st *cfnStack, t *template, values map[string]string, pending map[string]bool) (*scope, error) {
	s := &scope{stackName: st.name, stackID: st.id, region: Region, account: Account, params: values, listParams: map[string]bool{}}
	for name, def := range t.Parameters {
		if isListParam(def) {
			s.listParams[name] = true
		}
	}
	s.ref = func(logical string) (any, bool) {
		if _, ok := t.Resources[logical]; !ok {
			return nil, false
		}
		if pending[logical] {
			return unknownValue{of: logical}, true
		}
		if r := st.resources[logical]; r != nil && r.physical != "" {
			return r.physical, true
		}
		return unknownValue{of: logical}, true
	}
	s.getAtt = func(logical, attr string) (any, bool) {
		if _, ok := t.Resources[logical]; !ok {
			return nil, false
		}
		if pending[logical] {
			return unknownValue{of: logical + "." + attr}, true
		}
		if r := st.resources[logical]; r != nil && r.attrs != nil {
			if v, ok := r.attrs[attr]; ok {
				return v, true
			}
			return nil, false
		}
		return unknownValue{of: logical + "." + attr}, true
	}
	return s, s.resolveConditions(t.Conditions)
}

func (cf *cloudFormation) createChangeSet(tw *Twin, p params, now time.Time) (func(*xmlw), *apiError) {
	name, stackName := p.str("ChangeSetName"), p.str("StackName")
	t, err := parseTemplate(p.str("TemplateBody"))
	if err != nil {
		return nil, validation("%v", err)
	}
	typ := p.str("ChangeSetType")
	if typ == "" {
		typ = "UPDATE"
	}
	st := cf.find(stackName)
	switch {
	case typ == "CREATE" && st != nil && st.status != "REVIEW_IN_PROGRESS":
		return nil, errorf(http.StatusBadRequest, "AlreadyExistsException", "Stack [%s] already exists", stackName)
	case typ == "UPDATE" && st == nil:
		return nil, validation("Stack [%s] does not exist", stackName)
	case typ == "UPDATE" && strings.HasSuffix(st.status, "_IN_PROGRESS"):
		return nil, validation("Stack:%s is in %s state and can not be updated.", st.id, st.status)
	case typ == "UPDATE" && (st.status == "ROLLBACK_COMPLETE" || st.status == "ROLLBACK_FAILED" || st.status == "UPDATE_ROLLBACK_FAILED"):
		return nil, validation("Stack:%s is in %s state and can not be updated.", st.id, st.status)
	}
	if st == nil {
		st = &cfnStack{name: stackName, id: fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/%s", Region, Account, stackName, uuidLike(tw)),
			status: "REVIEW_IN_PROGRESS", created: now, resources: map[string]*cfnResource{}, params: map[string]string{}}
		cf.stacks = append(cf.stacks, st)
		st.event(tw, now, "", st.status, "User Initiated")
	}
	values, aerr := resolveParams(t, p.list("Parameters"), st.params)
	if aerr != nil {
		return nil, aerr
	}
	cs := &changeSet{name: name, stackID: st.id, typ: typ, tmpl: t, params: values, created: now,
		arn:          fmt.Sprintf("arn:aws:cloudformation:%s:%s:changeSet/%s/%s", Region, Account, name, uuidLike(tw)),
		capabilities: p.strs("Capabilities"), execStatus: "AVAILABLE", status: "CREATE_COMPLETE"}
	for _, tag := range p.list("Tags") {
		m := asMap(tag)
		cs.tags = append(cs.tags, [2]string{str(m["Key"]), str(m["Value"])})
	}
	if _, err := t.order(); err != nil {
		cs.status, cs.execStatus, cs.reason = "FAILED", "UNAVAILABLE", err.Error()
	} else if changes, err := tw.diff(st, t, values); err != nil {
		cs.status, cs.execStatus, cs.reason = "FAILED", "UNAVAILABLE", err.Error()
	} else {
		cs.changes = changes
		if len(changes) == 0 && st.tmpl != nil && st.tmpl.Body == t.Body && sameParams(st.params, values) && sameTags(st.tags, cs.tags) {
			cs.status, cs.execStatus = "FAILED", "UNAVAILABLE"
			cs.reason = "The submitted information didn't contain changes. Submit different information to create a change set."
		}
	}
	cf.changeSets[cs.arn] = cs
	return func(w *xmlw) {
		w.leaf("Id", cs.arn)
		w.leaf("StackId", st.id)
	}, nil
}

func sameParams(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func sameTags(a, b [][2]string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]string{}
	for _, t := range a {
		m[t[0]] = t[1]
	}
	for _, t := range b {
		if v, ok := m[t[0]]; !ok || v != t[1] {
			return false
		}
	}
	return true
}

// diff is what a standard change set reports: the new template against
// the previous template, both evaluated with the live physical IDs (B33:
// "Traditional change sets provide a comparison of your new template with
// the previous template for a stack, but do not account for stack drift.",
// CFN User Guide, drift-aware change sets).
func (tw *Twin) diff(st *cfnStack, t *template, values map[string]string) ([]resourceChange, error) {
	order, err := t.order()
	if err != nil {
		return nil, err
	}
	var oldScope *scope
	if st.tmpl != nil {
		if oldScope, err = tw.scopeFor(st, st.tmpl, st.params, nil); err != nil {
			return nil, err
		}
	}
	pending := map[string]bool{}
	newScope, err := tw.scopeFor(st, t, values, pending)
	if err != nil {
		return nil, err
	}
	var changes []resourceChange
	for _, logical := range order {
		def := t.Resources[logical]
		if def.Condition != "" && !newScope.conditions[def.Condition] {
			continue
		}
		live := st.resources[logical]
		var oldDef *resourceDef
		if st.tmpl != nil {
			oldDef = st.tmpl.Resources[logical]
			if oldDef != nil && oldDef.Condition != "" && !oldScope.conditions[oldDef.Condition] {
				oldDef = nil
			}
		}
		if live == nil || oldDef == nil {
			pending[logical] = true
			changes = append(changes, resourceChange{action: "Add", logical: logical, typ: def.Type})
			continue
		}
		if oldDef.Type != def.Type {
			pending[logical] = true
			changes = append(changes, resourceChange{action: "Modify", logical: logical, physical: live.physical, typ: def.Type, replacement: "True"})
			continue
		}
		oldProps, err := oldScope.eval(oldDef.Properties)
		if err != nil {
			return nil, err
		}
		newProps, err := newScope.eval(def.Properties)
		if err != nil {
			return nil, err
		}
		om, nm := asMap(oldProps), asMap(newProps)
		var changed []string
		recreate := map[string]bool{}
		keys := map[string]bool{}
		for k := range om {
			keys[k] = true
		}
		for k := range nm {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			if canonical(om[k]) != canonical(nm[k]) {
				changed = append(changed, k)
				if createOnly(def.Type, k) {
					recreate[k] = true
				}
			}
		}
		if len(changed) == 0 {
			continue
		}
		rc := resourceChange{action: "Modify", logical: logical, physical: live.physical, typ: def.Type, replacement: "False", details: changed, recreate: recreate}
		if len(recreate) > 0 {
			rc.replacement = "True"
			pending[logical] = true
		}
		changes = append(changes, rc)
	}
	if st.tmpl != nil {
		for _, logical := range sortedKeys(st.resources) {
			if def := t.Resources[logical]; def == nil || (def.Condition != "" && !newScope.conditions[def.Condition]) {
				r := st.resources[logical]
				changes = append(changes, resourceChange{action: "Remove", logical: logical, physical: r.physical, typ: r.typ})
			}
		}
	}
	return changes, nil
}

// createOnlyProperties are the properties whose change replaces a
// resource, from the CloudFormation resource schemas that cfn-lint bundles
// (testdata/schemas/create-only.json, made by internal/schemagen).
var createOnlyProperties = sync.OnceValue(func() map[string]map[string]bool {
	_, file, _, _ := runtime.Caller(0)
	body, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "testdata", "schemas", "create-only.json"))
	out := map[string]map[string]bool{}
	if err != nil {
		return out
	}
	var doc struct {
		CreateOnlyProperties map[string][]string `json:"createOnlyProperties"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return out
	}
	for typ, paths := range doc.CreateOnlyProperties {
		out[typ] = map[string]bool{}
		for _, p := range paths {
			name, _, _ := strings.Cut(strings.TrimPrefix(p, "/properties/"), "/")
			out[typ][name] = true
		}
	}
	return out
})

func createOnly(typ, property string) bool { return createOnlyProperties()[typ][property] }

func (cf *cloudFormation) writeChangeSet(w *xmlw, cs *changeSet) {
	st := cf.byID(cs.stackID)
	w.leaf("ChangeSetId", cs.arn)
	w.leaf("ChangeSetName", cs.name)
	w.leaf("StackId", cs.stackID)
	if st != nil {
		w.leaf("StackName", st.name)
	}
	w.time("CreationTime", cs.created)
	w.leaf("Status", cs.status)
	w.opt("StatusReason", cs.reason)
	w.leaf("ExecutionStatus", cs.execStatus)
	keys := sortedKeys(cs.params)
	w.members("Parameters", len(keys), func(i int) {
		w.leaf("ParameterKey", keys[i])
		w.leaf("ParameterValue", cs.params[keys[i]])
	})
	w.members("Tags", len(cs.tags), func(i int) {
		w.leaf("Key", cs.tags[i][0])
		w.leaf("Value", cs.tags[i][1])
	})
	w.members("Changes", len(cs.changes), func(i int) {
		c := cs.changes[i]
		w.leaf("Type", "Resource")
		w.open("ResourceChange")
		w.leaf("Action", c.action)
		w.leaf("LogicalResourceId", c.logical)
		w.opt("PhysicalResourceId", c.physical)
		w.leaf("ResourceType", c.typ)
		w.opt("Replacement", c.replacement)
		if c.action == "Modify" {
			w.members("Scope", 1, func(int) { w.b.WriteString("Properties") })
			w.members("Details", len(c.details), func(j int) {
				w.open("Target")
				w.leaf("Attribute", "Properties")
				w.leaf("Name", c.details[j])
				rr := "Never"
				if c.recreate[c.details[j]] {
					rr = "Always"
				}
				w.leaf("RequiresRecreation", rr)
				w.close("Target")
				w.leaf("Evaluation", "Static")
				w.leaf("ChangeSource", "DirectModification")
			})
		}
		w.close("ResourceChange")
	})
}

func uuidLike(tw *Twin) string {
	id := tw.nextID(32)
	return id[:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:32]
}

func (st *cfnStack) event(tw *Twin, now time.Time, token, status, reason string) {
	st.events = append(st.events, stackEvent{id: uuidLike(tw), logical: st.name, physical: st.id, typ: "AWS::CloudFormation::Stack", status: status, reason: reason, token: token, at: now})
}

func (st *cfnStack) resourceEvent(tw *Twin, now time.Time, token string, r *cfnResource, status, reason string) {
	r.status, r.reason, r.updated = status, reason, now
	st.events = append(st.events, stackEvent{id: uuidLike(tw), logical: r.logical, physical: r.physical, typ: r.typ, status: status, reason: reason, token: token, at: now})
}

func (st *cfnStack) setStatus(tw *Twin, now time.Time, status, reason string) {
	st.status, st.reason = status, reason
	token := ""
	if st.op != nil {
		token = st.op.token
	}
	st.event(tw, now, token, status, reason)
}

func (cf *cloudFormation) executeChangeSet(tw *Twin, p params, now time.Time) (func(*xmlw), *apiError) {
	cs := cf.findChangeSet(p.str("ChangeSetName"), p.str("StackName"))
	if cs == nil {
		return nil, errorf(http.StatusNotFound, "ChangeSetNotFound", "ChangeSet [%s] does not exist", p.str("ChangeSetName"))
	}
	if cs.execStatus != "AVAILABLE" {
		return nil, errorf(http.StatusBadRequest, "InvalidChangeSetStatus", "ChangeSet [%s] cannot be executed in its current execution status of [%s]", cs.arn, cs.execStatus)
	}
	st := cf.byID(cs.stackID)
	if st == nil {
		return nil, validation("Stack [%s] does not exist", cs.stackID)
	}
	if strings.HasSuffix(st.status, "_IN_PROGRESS") && st.status != "REVIEW_IN_PROGRESS" {
		return nil, errorf(http.StatusBadRequest, "InvalidChangeSetStatus", "Stack %s is in %s state", st.name, st.status)
	}
	cs.execStatus, cs.status = "EXECUTE_IN_PROGRESS", "EXECUTE_COMPLETE"
	// Executing one change set deletes the stack's others.
	for arn, other := range cf.changeSets {
		if other.stackID == st.id {
			delete(cf.changeSets, arn)
		}
	}
	st.tags = cs.tags
	st.capabilities = cs.capabilities
	cf.startOperation(tw, st, cs.typ, cs.tmpl, cs.params, p.str("ClientRequestToken"), now)
	return nil, nil
}

func (cf *cloudFormation) createStack(tw *Twin, p params, now time.Time) (func(*xmlw), *apiError) {
	name := p.str("StackName")
	if st := cf.find(name); st != nil {
		return nil, errorf(http.StatusBadRequest, "AlreadyExistsException", "Stack [%s] already exists", name)
	}
	t, err := parseTemplate(p.str("TemplateBody"))
	if err != nil {
		return nil, validation("%v", err)
	}
	if _, err := t.order(); err != nil {
		return nil, validation("%v", err)
	}
	values, aerr := resolveParams(t, p.list("Parameters"), nil)
	if aerr != nil {
		return nil, aerr
	}
	st := &cfnStack{name: name, id: fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/%s", Region, Account, name, uuidLike(tw)),
		created: now, resources: map[string]*cfnResource{}, params: map[string]string{}, capabilities: p.strs("Capabilities")}
	for _, tag := range p.list("Tags") {
		m := asMap(tag)
		st.tags = append(st.tags, [2]string{str(m["Key"]), str(m["Value"])})
	}
	cf.stacks = append(cf.stacks, st)
	cf.startOperation(tw, st, "CREATE", t, values, p.str("ClientRequestToken"), now)
	return func(w *xmlw) { w.leaf("StackId", st.id) }, nil
}

// startOperation starts a create or an update: resources in dependency
// order, each created, updated in place, or replaced (created anew, the
// old one deleted in the clean-up).
func (cf *cloudFormation) startOperation(tw *Twin, st *cfnStack, kind string, t *template, values map[string]string, token string, now time.Time) {
	op := &operation{kind: kind, token: token, phase: "forward", oldTmpl: st.tmpl, oldParams: st.params, newTmpl: t, newParams: values, notBefore: now}
	changes, _ := tw.diff(st, t, values)
	byLogical := map[string]resourceChange{}
	for _, c := range changes {
		byLogical[c.logical] = c
	}
	order, _ := t.order()
	for _, logical := range order {
		c, ok := byLogical[logical]
		if !ok {
			continue
		}
		switch {
		case c.action == "Add":
			op.queue = append(op.queue, &opStep{action: "create", logical: logical})
		case c.replacement == "True":
			op.queue = append(op.queue, &opStep{action: "replace", logical: logical})
		default:
			op.queue = append(op.queue, &opStep{action: "update", logical: logical})
		}
	}
	for _, c := range changes {
		if c.action == "Remove" {
			op.cleanup = append(op.cleanup, st.resources[c.logical])
		}
	}
	st.op = op
	st.updated = now
	if kind == "CREATE" {
		st.setStatus(tw, now, "CREATE_IN_PROGRESS", "User Initiated")
	} else {
		st.setStatus(tw, now, "UPDATE_IN_PROGRESS", "User Initiated")
	}
}

func (cf *cloudFormation) startDelete(tw *Twin, st *cfnStack, token string, now time.Time) {
	op := &operation{kind: "DELETE", token: token, phase: "delete", notBefore: now}
	order := []string{}
	if st.tmpl != nil {
		order, _ = st.tmpl.order()
	}
	seen := map[string]bool{}
	for i := len(order) - 1; i >= 0; i-- {
		if st.resources[order[i]] != nil {
			op.queue = append(op.queue, &opStep{action: "delete", logical: order[i]})
			seen[order[i]] = true
		}
	}
	for _, logical := range sortedKeys(st.resources) {
		if !seen[logical] {
			op.queue = append(op.queue, &opStep{action: "delete", logical: logical})
		}
	}
	st.op = op
	st.setStatus(tw, now, "DELETE_IN_PROGRESS", "User Initiated")
}

// step moves every stack's operation on.
func (cf *cloudFormation) step(tw *Twin, now time.Time) {
	for _, st := range cf.stacks {
		for i := 0; i < 200 && st.op != nil; i++ {
			if !cf.advance(tw, st, now) {
				break
			}
		}
	}
}

// resourceTime is how long CloudFormation takes over one resource, in
// virtual time; a load balancer takes minutes.
func resourceTime(typ string) time.Duration {
	switch typ {
	case "AWS::ElasticLoadBalancingV2::LoadBalancer":
		return 3 * time.Minute
	case "AWS::ECS::Service", "AWS::Lambda::Function":
		return 30 * time.Second
	}
	return 5 * time.Second
}

// advance does one piece of st's operation and reports whether more can be
// done at once.
func (cf *cloudFormation) advance(tw *Twin, st *cfnStack, now time.Time) bool {
	op := st.op
	if now.Before(op.notBefore) || op.halted {
		return false
	}
	if op.cancelled && op.phase == "forward" && op.kind == "UPDATE" {
		op.cancelled = false
		reason := "Resource update cancelled"
		if op.pos < len(op.queue) && op.queue[op.pos].started {
			s := op.queue[op.pos]
			if r := st.resources[s.logical]; r != nil {
				st.resourceEvent(tw, now, op.token, r, "UPDATE_FAILED", reason)
			}
		}
		cf.fail(tw, st, now, "User Initiated")
		return true
	}
	if op.pos >= len(op.queue) {
		return cf.endPhase(tw, st, now)
	}
	s := op.queue[op.pos]
	if !s.started {
		s.started = true
		s.until = now
		if err := cf.begin(tw, st, s, now); err != nil {
			cf.stepFailed(tw, st, s, now, err)
			return true
		}
		if r := st.resources[s.logical]; r != nil {
			s.until = now.Add(resourceTime(r.typ))
		}
		return true
	}
	if now.Before(s.until) {
		return false
	}
	if op.phase == "forward" && tw.held(st.name, s.logical) {
		return false
	}
	if s.wait != nil {
		done, err := s.wait()
		if err != nil {
			cf.stepFailed(tw, st, s, now, err)
			return true
		}
		if !done {
			return false
		}
	}
	cf.complete(tw, st, s, now)
	op.done = append(op.done, s)
	op.pos++
	return true
}

// begin starts a step: the resource's IN_PROGRESS event and its provider
// call.
func (cf *cloudFormation) begin(tw *Twin, st *cfnStack, s *opStep, now time.Time) error {
	op := st.op
	switch s.action {
	case "create", "replace":
		def := op.newTmpl.Resources[s.logical]
		r := &cfnResource{logical: s.logical, typ: def.Type}
		if s.action == "replace" {
			s.prev = st.resources[s.logical]
			st.resourceEvent(tw, now, op.token, s.prev, "UPDATE_IN_PROGRESS", "Requested update requires the creation of a new physical resource; hence creating one.")
		}
		props, err := cf.evalProps(tw, st, op.newTmpl, op.newParams, s.logical)
		st.resources[s.logical] = r
		if s.action == "create" {
			st.resourceEvent(tw, now, op.token, r, "CREATE_IN_PROGRESS", "")
		}
		if err != nil {
			return err
		}
		s.touched = true
		s.wait, err = providerFor(def.Type).create(tw, st, r, props)
		r.props = props
		if s.action == "replace" && err == nil {
			st.resourceEvent(tw, now, op.token, r, "UPDATE_IN_PROGRESS", "Resource creation Initiated")
		} else if err == nil {
			st.resourceEvent(tw, now, op.token, r, "CREATE_IN_PROGRESS", "Resource creation Initiated")
		}
		return err
	case "update", "revert":
		r := st.resources[s.logical]
		t, values := op.newTmpl, op.newParams
		if s.action == "revert" {
			t, values = op.oldTmpl, op.oldParams
		}
		st.resourceEvent(tw, now, op.token, r, "UPDATE_IN_PROGRESS", "")
		props, err := cf.evalProps(tw, st, t, values, s.logical)
		if err != nil {
			return err
		}
		s.touched = true
		old := r.props
		s.wait, err = providerFor(r.typ).update(tw, st, r, old, props, s.action == "revert")
		if err == nil {
			r.props = props
		}
		return err
	case "delete":
		r := st.resources[s.logical]
		if r == nil {
			return nil
		}
		if r.status == "DELETE_COMPLETE" {
			return nil
		}
		st.resourceEvent(tw, now, op.token, r, "DELETE_IN_PROGRESS", "")
		if r.physical == "" {
			return nil
		}
		var err error
		s.wait, err = providerFor(r.typ).remove(tw, st, r)
		return err
	case "deleteOld":
		r := s.prev
		st.events = append(st.events, stackEvent{id: uuidLike(tw), logical: r.logical, physical: r.physical, typ: r.typ, status: "DELETE_IN_PROGRESS", token: op.token, at: now})
		if r.physical == "" {
			return nil
		}
		var err error
		s.wait, err = providerFor(r.typ).remove(tw, st, r)
		return err
	}
	return nil
}

func (cf *cloudFormation) evalProps(tw *Twin, st *cfnStack, t *template, values map[string]string, logical string) (map[string]any, error) {
	s, err := tw.scopeFor(st, t, values, nil)
	if err != nil {
		return nil, err
	}
	v, err := s.eval(t.Resources[logical].Properties)
	if err != nil {
		return nil, err
	}
	props := asMap(v)
	if bad := findUnknown(props); bad != "" {
		return nil, fmt.Errorf("twin: %s refers to %s, which is not available", logical, bad)
	}
	return props, nil
}

func findUnknown(v any) string {
	switch x := v.(type) {
	case unknownValue:
		return x.of
	case map[string]any:
		for _, k := range sortedKeys(x) {
			if s := findUnknown(x[k]); s != "" {
				return s
			}
		}
	case []any:
		for _, item := range x {
			if s := findUnknown(item); s != "" {
				return s
			}
		}
	}
	return ""
}

func (cf *cloudFormation) complete(tw *Twin, st *cfnStack, s *opStep, now time.Time) {
	op := st.op
	switch s.action {
	case "create":
		st.resourceEvent(tw, now, op.token, st.resources[s.logical], "CREATE_COMPLETE", "")
	case "replace", "update", "revert":
		st.resourceEvent(tw, now, op.token, st.resources[s.logical], "UPDATE_COMPLETE", "")
	case "delete":
		if r := st.resources[s.logical]; r != nil {
			st.resourceEvent(tw, now, op.token, r, "DELETE_COMPLETE", "")
			delete(st.resources, s.logical)
		}
	case "deleteOld":
		r := s.prev
		st.events = append(st.events, stackEvent{id: uuidLike(tw), logical: r.logical, physical: r.physical, typ: r.typ, status: "DELETE_COMPLETE", token: op.token, at: now})
	}
}

// stepFailed fails the step's resource and starts the rollback (or, in a
// rollback or a delete, fails the operation).
func (cf *cloudFormation) stepFailed(tw *Twin, st *cfnStack, s *opStep, now time.Time, err error) {
	op := st.op
	r := st.resources[s.logical]
	if s.action == "deleteOld" {
		r = s.prev
	}
	status := "UPDATE_FAILED"
	switch s.action {
	case "create":
		status = "CREATE_FAILED"
	case "delete", "deleteOld":
		status = "DELETE_FAILED"
	}
	if r != nil {
		st.resourceEvent(tw, now, op.token, r, status, err.Error())
	}
	switch op.phase {
	case "forward":
		op.queue[op.pos] = s
		st.lastFailedStep = s.logical
		cf.fail(tw, st, now, fmt.Sprintf("The following resource(s) failed to %s: [%s]. ", strings.ToLower(strings.TrimSuffix(status, "_FAILED")), s.logical))
	case "rollback":
		// B32: the stack stays UPDATE_ROLLBACK_FAILED until
		// ContinueUpdateRollback.
		op.halted = true
		st.setStatus(tw, now, "UPDATE_ROLLBACK_FAILED", fmt.Sprintf("The following resource(s) failed to update: [%s]. ", s.logical))
	case "delete":
		st.setStatus(tw, now, "DELETE_FAILED", fmt.Sprintf("The following resource(s) failed to delete: [%s]. ", s.logical))
		st.op = nil
	case "cleanup", "rollbackCleanup":
		// A failed clean-up is reported and skipped, as CloudFormation does.
		op.pos++
	}
}

// fail turns a forward operation into its rollback.
func (cf *cloudFormation) fail(tw *Twin, st *cfnStack, now time.Time, reason string) {
	op := st.op
	if op.kind == "CREATE" {
		st.setStatus(tw, now, "ROLLBACK_IN_PROGRESS", reason+"Rollback requested by user.")
		var queue []*opStep
		order, _ := op.newTmpl.order()
		for i := len(order) - 1; i >= 0; i-- {
			if st.resources[order[i]] != nil {
				queue = append(queue, &opStep{action: "delete", logical: order[i]})
			}
		}
		op.phase, op.queue, op.pos = "delete", queue, 0
		op.kind = "ROLLBACK"
		return
	}
	st.setStatus(tw, now, "UPDATE_ROLLBACK_IN_PROGRESS", reason)
	// B28: every resource the update touched goes back to the previous
	// template's properties, in reverse order; what it created is deleted in
	// the clean-up. Replaced resources point at their old physical resource
	// again first, so that the reverts refer to them.
	steps := append([]*opStep(nil), op.done...)
	if op.pos < len(op.queue) && op.queue[op.pos].started {
		steps = append(steps, op.queue[op.pos])
	}
	var queue []*opStep
	var cleanup []*cfnResource
	// A rollback is an update back to the previous template, which the twin
	// runs in dependency order (a listener rule before the service that
	// refers to it); the order is not documented (B28), so the reverse order
	// is a switch.
	if tw.opts.Switches.RollbackReverseOrder {
		for i, j := 0, len(steps)-1; i < j; i, j = i+1, j-1 {
			steps[i], steps[j] = steps[j], steps[i]
		}
	}
	for i := 0; i < len(steps); i++ {
		s := steps[i]
		switch s.action {
		case "create":
			if r := st.resources[s.logical]; r != nil {
				cleanup = append(cleanup, r)
				delete(st.resources, s.logical)
			}
		case "replace":
			if r := st.resources[s.logical]; r != nil && s.prev != nil {
				cleanup = append(cleanup, r)
				st.resources[s.logical] = s.prev
			}
		case "update":
			if s.touched {
				queue = append(queue, &opStep{action: "revert", logical: s.logical})
			}
		}
	}
	// Removed resources were not deleted yet: they stay.
	op.phase, op.queue, op.pos, op.done, op.cleanup = "rollback", queue, 0, nil, cleanup
}

func (cf *cloudFormation) continueRollback(tw *Twin, st *cfnStack, skip map[string]bool, token string, now time.Time) {
	op := st.op
	if token != "" {
		op.token = token
	}
	if op.pos < len(op.queue) {
		s := op.queue[op.pos]
		if skip[s.logical] {
			// "the state of the skipped resources will be inconsistent with
			// the state of the resources in the stack template" (CFN API
			// reference, ContinueUpdateRollback) (B32)
			if r := st.resources[s.logical]; r != nil {
				st.resourceEvent(tw, now, op.token, r, "UPDATE_COMPLETE", "Resource skipped during rollback")
			}
			op.pos++
		} else {
			op.queue[op.pos] = &opStep{action: s.action, logical: s.logical}
		}
	}
	op.notBefore, op.halted = now, false
	st.setStatus(tw, now, "UPDATE_ROLLBACK_IN_PROGRESS", "")
}

// endPhase moves an operation to its next phase, or ends it.
func (cf *cloudFormation) endPhase(tw *Twin, st *cfnStack, now time.Time) bool {
	op := st.op
	deletions := func(list []*cfnResource) []*opStep {
		var q []*opStep
		for i := len(list) - 1; i >= 0; i-- {
			if list[i] != nil {
				q = append(q, &opStep{action: "deleteOld", logical: list[i].logical, prev: list[i]})
			}
		}
		return q
	}
	switch op.phase {
	case "forward":
		if op.kind == "CREATE" {
			st.tmpl, st.params = op.newTmpl, op.newParams
			cf.setOutputs(tw, st)
			st.setStatus(tw, now, "CREATE_COMPLETE", "")
			st.op = nil
			return false
		}
		st.tmpl, st.params = op.newTmpl, op.newParams
		cf.setOutputs(tw, st)
		st.setStatus(tw, now, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "")
		var old []*cfnResource
		for _, s := range op.done {
			if s.action == "replace" && s.prev != nil {
				old = append(old, s.prev)
			}
		}
		var removed []*cfnResource
		for _, r := range op.cleanup {
			if r != nil {
				removed = append(removed, r)
				delete(st.resources, r.logical)
			}
		}
		op.phase, op.queue, op.pos = "cleanup", deletions(append(old, removed...)), 0
		return true
	case "cleanup":
		st.setStatus(tw, now, "UPDATE_COMPLETE", "")
		st.op = nil
		return false
	case "rollback":
		st.setStatus(tw, now, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "")
		op.phase, op.queue, op.pos = "rollbackCleanup", deletions(op.cleanup), 0
		return true
	case "rollbackCleanup":
		cf.setOutputs(tw, st)
		st.setStatus(tw, now, "UPDATE_ROLLBACK_COMPLETE", "")
		st.op = nil
		return false
	case "delete":
		if op.kind == "ROLLBACK" {
			st.setStatus(tw, now, "ROLLBACK_COMPLETE", "")
		} else {
			st.setStatus(tw, now, "DELETE_COMPLETE", "")
		}
		st.op = nil
		return false
	}
	return false
}

func (cf *cloudFormation) setOutputs(tw *Twin, st *cfnStack) {
	st.outputs = nil
	if st.tmpl == nil {
		return
	}
	s, err := tw.scopeFor(st, st.tmpl, st.params, nil)
	if err != nil {
		return
	}
	for _, name := range sortedKeys(st.tmpl.Outputs) {
		o := st.tmpl.Outputs[name]
		if c := str(o["Condition"]); c != "" && !s.conditions[c] {
			continue
		}
		v, err := s.eval(o["Value"])
		if err != nil || findUnknown(v) != "" {
			continue
		}
		value := str(v)
		if l, ok := v.([]any); ok {
			parts := make([]string, len(l))
			for i := range l {
				parts[i] = str(l[i])
			}
			value = strings.Join(parts, ",")
		}
		st.outputs = append(st.outputs, [3]string{name, value, str(o["Description"])})
	}
}
