package deploy

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// These tests run against the CloudFormation SIMULATOR (simulator_test.go):
// moto does not report parameter values in a way that covers NoEcho or
// UsePreviousValue, and real CloudFormation never readies an empty change
// set for an unchanged stack, which moto does; the simulator plays both.

// updatableStack puts "demo" in place as a deploy of testInput with
// ImageTag v1 left it: same template, parameters and tags.
func updatableStack(sim *simulator) *simStack {
	st := sim.addStack("demo", statusUpdateComplete, map[string]string{"VpcId": "vpc-0123abcd", "PublicSubnetIds": "subnet-0123abcd,subnet-4567abcd", "ImageTag": "v1"})
	sim.locked(func() { st.template, st.tags = testTemplate, map[string]string{"team": "web"} })
	return st
}

// Proves: a change set whose only change is a parameter value (an image
// bump, say) is a change: the plan lists the parameter with its old and new
// value, HasChanges is true (diff --exit-code exits 1), and Deploy executes
// it.
func TestPlanCountsParameterChanges(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	updatableStack(sim)
	sim.onExecute = func(*simStack, *simChangeSet) *script { return updateScript(nil, 5*time.Millisecond) }
	d, rec := newTestDeployer(sim)
	in := testInput()
	in.Parameters["ImageTag"] = "v2"

	plan, err := d.Diff(context.Background(), in)
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	want := []ParameterChange{{Key: "ImageTag", Old: "v1", New: "v2"}}
	if !plan.HasChanges() || len(plan.Changes) != 0 || !slices.Equal(plan.Parameters, want) || plan.OtherChanges {
		t.Errorf("plan = %+v; want only the ImageTag change, counted as a change", plan)
	}
	if plans := rec.plans(); len(plans) != 1 || !slices.Equal(plans[0].Parameters, want) {
		t.Errorf("reported plans %+v; want one with the ImageTag change", plans)
	}

	res, err := d.Deploy(context.Background(), in)
	if err != nil || res.NoChanges || res.Status != statusUpdateComplete || len(sim.callsTo("ExecuteChangeSet")) != 1 {
		t.Errorf("Deploy = %+v, %v; want the parameter change executed", res, err)
	}
}

// Proves: every way of saying "no changes" is no changes — a change set
// that fails with "didn't contain changes" (CloudFormation), a
// CreateChangeSet refused with "No updates are to be performed" (moto), and
// an empty change set for a stack whose template, parameters and tags are
// the same (moto) — while an empty change set for a changed template is a
// change (CloudFormation's answer to changed outputs or metadata), which
// Deploy executes.
func TestEveryNoChangesAnswerIsNoChanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		setup       func(*simulator, *simStack)
		wantChanges bool
	}{
		{"failed change set", func(sim *simulator, _ *simStack) { sim.noChanges = true }, false},
		{"CreateChangeSet refused", func(sim *simulator, _ *simStack) {
			sim.refuse = map[string]simRefusal{"CreateChangeSet": {http.StatusBadRequest, "ValidationError", "No updates are to be performed."}}
		}, false},
		{"empty change set, same stack", func(*simulator, *simStack) {}, false},
		{"empty change set, outputs changed", func(_ *simulator, st *simStack) { st.template = strings.Replace(testTemplate, "URL", "Address", 1) }, true},
		{"empty change set, tags changed", func(_ *simulator, st *simStack) { st.tags = map[string]string{"team": "ops"} }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newSimulator(t)
			st := updatableStack(sim)
			sim.locked(func() { tt.setup(sim, st) })
			sim.onExecute = func(*simStack, *simChangeSet) *script { return updateScript(nil, 5*time.Millisecond) }
			d, rec := newTestDeployer(sim)

			plan, err := d.Diff(context.Background(), testInput())
			if err != nil || plan.HasChanges() != tt.wantChanges || plan.OtherChanges != tt.wantChanges {
				t.Fatalf("Diff = %+v, %v; want changes %v", plan, err, tt.wantChanges)
			}
			res, err := d.Deploy(context.Background(), testInput())
			if err != nil || res.NoChanges == tt.wantChanges {
				t.Fatalf("Deploy = %+v, %v; want NoChanges %v", res, err, !tt.wantChanges)
			}
			executed := len(sim.callsTo("ExecuteChangeSet")) > 0
			if executed != tt.wantChanges {
				t.Errorf("executed = %v; want %v", executed, tt.wantChanges)
			}
			if noted := strings.Count(rec.notes(), "No changes"); noted != map[bool]int{false: 2, true: 0}[tt.wantChanges] {
				t.Errorf("notes %q; want \"No changes\" for diff and deploy exactly when there are none", rec.notes())
			}
		})
	}
}

// Proves: while CloudFormation works out a change set, the deployer reports
// it as ChangeSetPending events (the first when the creation starts, more
// after each poll) closed by one ChangeSetDone before the plan, and closes
// them when Ctrl-C stops the wait too, so that a renderer can show a
// spinner and know when to take it down.
func TestChangeSetWaitIsReported(t *testing.T) {
	t.Parallel()
	for _, interrupt := range []bool{false, true} {
		sim := newSimulator(t)
		updatableStack(sim)
		sim.changeSetDelay = 600 * time.Millisecond
		sim.changes = []simChange{{action: "Modify", logicalID: "Cluster", resType: "AWS::ECS::Cluster", replacement: "False"}}
		d, rec := newTestDeployer(sim)
		ctx, cancel := context.WithCancel(context.Background())
		pending := 0
		rec.onEvent = func(e Event) {
			if _, ok := e.(ChangeSetPending); ok {
				if pending++; interrupt && pending == 2 {
					cancel()
				}
			}
		}
		_, err := d.Diff(ctx, testInput())
		cancel()
		if interrupt != (err != nil) {
			t.Fatalf("interrupt %v: Diff error %v", interrupt, err)
		}
		var kinds []string
		var started time.Time
		for _, e := range rec.all() {
			switch e := e.(type) {
			case ChangeSetPending:
				if started.IsZero() {
					started = e.Started
					if !e.Time.Equal(e.Started) || e.Stack != "demo" || e.ChangeSetType != "UPDATE" {
						t.Errorf("first ChangeSetPending = %+v; want it at its start, for demo's UPDATE", e)
					}
				} else if !e.Started.Equal(started) || !e.Time.After(started) {
					t.Errorf("later ChangeSetPending = %+v; want the same start, a later time", e)
				}
				if len(kinds) == 0 || kinds[len(kinds)-1] != "pending" {
					kinds = append(kinds, "pending")
				}
			case ChangeSetDone:
				kinds = append(kinds, "done")
			case PlanReady:
				kinds = append(kinds, "plan")
			}
		}
		want := []string{"pending", "done", "plan"}
		if interrupt {
			want = want[:2]
		}
		if !slices.Equal(kinds, want) || pending < 2 {
			t.Errorf("interrupt %v: events %v, %d pending; want %v with pending repeated", interrupt, kinds, pending, want)
		}
	}
}
