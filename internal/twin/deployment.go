package twin

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"time"
)

// An ECS service deployment over virtual time: the state machine of the
// specification's section 8. Blue/green, canary and linear deployments
// walk the lifecycle stages (B2), register green tasks in the target group
// that is not serving (B3), move the production rule's weights step by step
// (B4-B6), bake and clean up (B7), invoke lifecycle hooks (B15-B19), and
// roll back on a hook, an alarm, the circuit breaker or a stop (B22-B27).

type deployment struct {
	arn, id              string
	svc                  *ecsService
	status, statusReason string
	stage                string
	source, target       *revision
	createdAt, startedAt time.Time
	finishedAt           time.Time
	rollbackReason       string
	rollbackAt           time.Time

	progressive        bool
	steps              []float64
	stages             []stageEntry
	idx, phase         int
	stageAt, waitTill  time.Time
	greenTG, blueTG    string
	prodRule, testRule string
	testShifted        bool
	prodShifted        bool
	weight             float64 // green's production share now
	hooks              []*hookRun
	gen                int // bumps when the stage's hooks are replaced
	alarmsIgnored      bool
	alarmStatus        string
	triggered          []string
	cbFailures         int
	rbPhase            int
	requested          bool // a stop asked for the rollback
	// startFailure fails the deployment as it starts (B13).
	startFailure string
}

type stageEntry struct {
	name string
	step int // production step, from 1; 0 for other stages
}

type hookRun struct {
	hook        map[string]any
	status      string // PENDING, IN_PROGRESS, SUCCEEDED, FAILED, TIMED_OUT
	inflight    bool
	nextAt      time.Time
	startedAt   time.Time
	executionID string
	details     map[string]any
	hookID      string
}

func (d *deployment) terminal() bool {
	switch d.status {
	case "SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED":
		return true
	}
	return false
}

func (d *deployment) alarmNames() []string {
	a := asMap(d.target.config["alarms"])
	if !boolOf(a["enable"]) {
		return nil
	}
	var out []string
	for _, n := range asList(a["alarmNames"]) {
		out = append(out, str(n))
	}
	return out
}

func progressiveStrategy(s string) bool { return s == "BLUE_GREEN" || s == "CANARY" || s == "LINEAR" }

// trafficSteps are green's production shares at each step: one move for
// BLUE_GREEN (B4), canary percent then 100 for CANARY (B5), equal steps
// capped at 100 for LINEAR (B6).
func trafficSteps(cfg map[string]any) []float64 {
	switch str(cfg["strategy"]) {
	case "CANARY":
		p := floatOf(asMap(cfg["canaryConfiguration"])["canaryPercent"], 5.0)
		if p >= 100 {
			return []float64{100}
		}
		return []float64{p, 100}
	case "LINEAR":
		p := floatOf(asMap(cfg["linearConfiguration"])["stepPercent"], 10.0)
		var out []float64
		for w := p; ; w += p {
			w = math.Round(w*10) / 10
			if w >= 100 {
				return append(out, 100)
			}
			out = append(out, w)
		}
	}
	return []float64{100}
}

// stepBake is the wait after a production step that is not the last
// (B5: canaryBakeTimeInMinutes, default 10; B6: stepBakeTimeInMinutes,
// default 6).
func stepBake(cfg map[string]any) time.Duration {
	switch str(cfg["strategy"]) {
	case "CANARY":
		return time.Duration(intOf(asMap(cfg["canaryConfiguration"])["canaryBakeTimeInMinutes"], 10)) * time.Minute
	case "LINEAR":
		return time.Duration(intOf(asMap(cfg["linearConfiguration"])["stepBakeTimeInMinutes"], 6)) * time.Minute
	}
	return 0
}

// startDeployment starts a deployment of the service's configuration; one
// still under way is superseded (B10: "A user starts a new service
// deployment." moves it to STOP_REQUESTED).
func (c *containerService) startDeployment(tw *Twin, svc *ecsService, now time.Time) *deployment {
	reconcile := false
	for _, old := range svc.deployments {
		if !old.terminal() {
			tw.supersede(old, now)
			reconcile = true
		}
	}
	rev := c.newRevision(tw, svc, now)
	id := tw.nextID(21)
	d := &deployment{id: id, svc: svc, status: "PENDING", source: svc.current, target: rev, createdAt: now,
		arn: fmt.Sprintf("arn:aws:ecs:%s:%s:service-deployment/%s/%s/%s", Region, Account, svc.cluster, svc.name, id)}
	cfg := rev.config
	var primary, alternate string
	if len(svc.lbs) > 0 {
		lb := svc.lbs[0]
		primary = str(lb["targetGroupArn"])
		ac := asMap(lb["advancedConfiguration"])
		alternate, d.prodRule, d.testRule = str(ac["alternateTargetGroupArn"]), str(ac["productionListenerRule"]), str(ac["testListenerRule"])
	}
	d.progressive = progressiveStrategy(str(cfg["strategy"]))
	if d.progressive && alternate != "" {
		// B3: "The two target groups swap roles on every deployment. Amazon
		// ECS registers the new service revision's tasks with whichever
		// target group isn't serving production traffic." (ECS developer
		// guide, resources for blue/green, linear and canary deployments)
		prod := svc.prodTG
		// B13: which group ECS takes as production when its record and the
		// live rule disagree (a CloudFormation rollback set the rule back)
		// is not documented: its record by default, the rule under the
		// TrustLiveRule switch. The first deployment has no record.
		if prod == "" || tw.opts.Switches.TrustLiveRule {
			if prod == "" {
				prod = primary
			}
			if r := tw.elb.rules[d.prodRule]; r != nil {
				best := -1
				for _, tg := range []string{primary, alternate} {
					if w := actionWeights(r.actions)[tg]; w > best {
						best, prod = w, tg
					}
				}
			}
		}
		// B13: "if a rule forwards to both target groups or to neither of
		// them when a deployment starts, the deployment would fail" (ECS
		// developer guide, resources for blue/green, linear and canary
		// deployments).
		if r := tw.elb.rules[d.prodRule]; r != nil {
			w := actionWeights(r.actions)
			if (w[primary] > 0) == (w[alternate] > 0) {
				d.startFailure = fmt.Sprintf("The production listener rule forwards to %s of the service's target groups.", map[bool]string{true: "both", false: "neither"}[w[primary] > 0])
			}
		}
		d.blueTG = prod
		d.greenTG = alternate
		if prod == alternate {
			d.greenTG = primary
		}
	} else {
		d.greenTG = primary
		d.blueTG = primary
	}
	d.steps = trafficSteps(cfg)
	if d.progressive {
		if reconcile {
			// "This stage only happens when you start a new service
			// deployment with more than 1 service revision in an ACTIVE
			// state." (B2)
			d.stages = append(d.stages, stageEntry{name: "RECONCILE_SERVICE"})
		}
		for _, s := range []string{"PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT"} {
			d.stages = append(d.stages, stageEntry{name: s})
		}
		for k := range d.steps {
			d.stages = append(d.stages, stageEntry{name: "PRE_PRODUCTION_TRAFFIC_SHIFT", step: k + 1}, stageEntry{name: "PRODUCTION_TRAFFIC_SHIFT", step: k + 1})
		}
		for _, s := range []string{"POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"} {
			d.stages = append(d.stages, stageEntry{name: s})
		}
	} else {
		d.stages = []stageEntry{{name: "SCALE_UP"}, {name: "CLEAN_UP"}}
	}
	c.deployments[d.arn] = d
	svc.deployments = append(svc.deployments, d)
	return d
}

// supersede stops a deployment that a newer one replaces (B10, B29): its
// green tasks stop and the rules go back to the group that serves.
func (tw *Twin) supersede(d *deployment, now time.Time) {
	d.status, d.statusReason = "STOP_REQUESTED", "A newer service deployment started."
	tw.stopGreen(d, now)
	tw.restoreBlue(d)
	d.hooks = nil
	d.gen++
}

func (tw *Twin) restoreBlue(d *deployment) {
	if !d.progressive || d.blueTG == d.greenTG {
		return
	}
	if d.testShifted && d.testRule != "" {
		tw.elb.setWeights(tw, d.testRule, [][2]any{{d.blueTG, 100}, {d.greenTG, 0}})
	}
	if d.prodShifted && d.prodRule != "" {
		tw.elb.setWeights(tw, d.prodRule, [][2]any{{d.blueTG, 100}, {d.greenTG, 0}})
	}
}

func (tw *Twin) stopGreen(d *deployment, now time.Time) {
	for _, t := range tw.ecs.tasks {
		if t.service == d.svc.arn && t.revision == d.target.id {
			tw.ecs.stopTask(tw, t, "Deployment "+d.id+" stopped", now)
		}
	}
}

// weightsOf writes a share as integer ALB weights whose ratio is the
// percentage to 0.1 % (B5, inferred: the integers ECS writes are not
// documented).
func weightsOf(green float64) (g, b int) {
	if green == math.Trunc(green) {
		return int(green), 100 - int(green)
	}
	return int(math.Round(green * 10)), int(math.Round((100 - green) * 10))
}

// stepDeployment moves one deployment on.
func (tw *Twin) stepDeployment(d *deployment, now time.Time, alarms map[string]string) {
	switch d.status {
	case "PENDING":
		if d.startFailure != "" {
			d.status, d.statusReason, d.startedAt, d.finishedAt = "STOPPED", d.startFailure, now, now
			return
		}
		d.status, d.startedAt = "IN_PROGRESS", now
		d.alarmStatus = "DISABLED"
		if names := d.alarmNames(); len(names) > 0 {
			d.alarmStatus = "MONITORING"
			for _, n := range names {
				// B23: "If an alarm is in the ALARM state at the beginning of a
				// deployment, Amazon ECS will not monitor alarms for the
				// duration of that deployment" (ECS developer guide, alarms).
				if alarms[n] == "ALARM" {
					d.alarmsIgnored, d.alarmStatus = true, "DISABLED"
				}
			}
		}
		tw.enterStage(d, now)
	case "IN_PROGRESS":
		if d.alarmStatus == "MONITORING" && !d.alarmsIgnored {
			for _, n := range d.alarmNames() {
				if alarms[n] == "ALARM" {
					d.triggered = append(d.triggered, n)
				}
			}
			if len(d.triggered) > 0 {
				d.alarmStatus = "TRIGGERED"
				// "A rollback occurs when you use the rollback option for the
				// method that initiated the deployment failure." (B23)
				rb := boolOf(asMap(d.target.config["alarms"])["rollback"])
				tw.failDeployment(d, now, "Alarm(s) "+fmt.Sprint(d.triggered)+" went into ALARM state.", rb)
				return
			}
		}
		// B9: "The system times out, fails the deployment, and then initiates
		// a rollback after a stage reaches 24 hours."
		if now.Sub(d.stageAt) > 24*time.Hour {
			tw.failDeployment(d, now, "Lifecycle stage "+d.stage+" timed out after 24 hours.", true)
			return
		}
		tw.advanceStage(d, now)
	case "STOP_REQUESTED":
		d.status, d.finishedAt = "STOPPED", now
	case "ROLLBACK_REQUESTED":
		d.status = "ROLLBACK_IN_PROGRESS"
	case "ROLLBACK_IN_PROGRESS":
		tw.advanceRollback(d, now)
	}
}

func (tw *Twin) enterStage(d *deployment, now time.Time) {
	s := d.stages[d.idx]
	d.stage, d.stageAt, d.phase = s.name, now, 0
	d.hooks = nil
	d.gen++
}

// advanceStage does the current stage: its effect, its hooks, its wait.
func (tw *Twin) advanceStage(d *deployment, now time.Time) {
	s := d.stages[d.idx]
	svc := d.svc
	cfg := d.target.config
	switch d.phase {
	case 0: // the stage's effect
		switch s.name {
		case "SCALE_UP":
			// B2: "The time when the green service revision scales up to 100%
			// and launches new tasks. The green service revision is not
			// serving any traffic at this point."
			for i := 0; i < svc.desired; i++ {
				tw.ecs.launch(tw, svc, d.target, d.greenTG, now)
			}
		case "TEST_TRAFFIC_SHIFT":
			// B8: "Amazon ECS points the test listener rule at the new
			// service revision during the TEST_TRAFFIC_SHIFT stage, before any
			// production traffic moves."
			if d.testRule != "" && d.blueTG != d.greenTG {
				tw.elb.setWeights(tw, d.testRule, [][2]any{{d.blueTG, 0}, {d.greenTG, 100}})
				d.testShifted = true
			}
		case "PRODUCTION_TRAFFIC_SHIFT":
			d.weight = d.steps[s.step-1]
			if d.prodRule != "" && d.blueTG != d.greenTG {
				g, b := weightsOf(d.weight)
				// B4: the 0-weight group stays in the ForwardConfig.
				tw.elb.setWeights(tw, d.prodRule, [][2]any{{d.blueTG, b}, {d.greenTG, g}})
				d.prodShifted = true
			}
		case "BAKE_TIME":
			// B7: bakeTimeInMinutes with both revisions running; CloudFormation
			// fills 15 when the template has none.
			d.waitTill = now.Add(time.Duration(intOf(cfg["bakeTimeInMinutes"], 15)) * time.Minute)
		case "CLEAN_UP":
			tw.cleanUp(d, now)
			return
		}
		d.phase = 1
	case 1: // wait for the effect
		if s.name == "SCALE_UP" && !tw.greenReady(d, now) {
			return
		}
		if s.name == "BAKE_TIME" && now.Before(d.waitTill) {
			return
		}
		d.phase = 2
		d.hooks = tw.hooksAt(d, s.name, now)
	case 2: // hooks
		done, failed, reason := tw.runHooks(d, s, now, false)
		if failed {
			// B25: any hook failure rolls back, whatever the alarms' and the
			// circuit breaker's rollback flags say.
			tw.failDeployment(d, now, reason, true)
			return
		}
		if !done {
			return
		}
		d.phase = 3
		if s.name == "PRODUCTION_TRAFFIC_SHIFT" && s.step < len(d.steps) {
			d.waitTill = now.Add(stepBake(cfg))
		}
	case 3: // the wait after a production step
		if now.Before(d.waitTill) {
			return
		}
		d.idx++
		tw.enterStage(d, now)
	}
}

// greenReady reports whether every green task runs and is healthy,
// replacing tasks that failed and counting them for the circuit breaker.
func (tw *Twin) greenReady(d *deployment, now time.Time) bool {
	svc := d.svc
	var live []*ecsTask
	for _, t := range tw.ecs.tasks {
		if t.service != svc.arn || t.revision != d.target.id {
			continue
		}
		if t.lastStatus == "STOPPED" && t.stopCode == "TaskFailedToStart" && t.desiredStatus == "STOPPED" && !t.stoppedAt.IsZero() && t.next.Before(now) {
			t.next = now.Add(100 * 365 * 24 * time.Hour) // counted once
			d.cbFailures++
			tw.ecs.launch(tw, svc, d.target, d.greenTG, now)
			continue
		}
		if t.desiredStatus == "RUNNING" {
			live = append(live, t)
		}
	}
	cb := asMap(d.target.config["deploymentCircuitBreaker"])
	// B26: the documents disagree on whether the circuit breaker applies to
	// blue/green, canary and linear deployments; a switch.
	applies := !d.progressive || tw.opts.Switches.CircuitBreakerBlueGreen
	if applies && boolOf(cb["enable"]) && d.cbFailures >= cbThreshold(svc.desired) {
		tw.failDeployment(d, now, "ECS Deployment Circuit Breaker was triggered.", boolOf(cb["rollback"]))
		return false
	}
	if len(live) < svc.desired {
		return false
	}
	for _, t := range live {
		if t.lastStatus != "RUNNING" || t.health != "HEALTHY" {
			return false
		}
	}
	return true
}

// cbThreshold is the circuit breaker's default threshold: 50 % of the
// desired count, at least 3 and at most 200 (ECS developer guide, circuit
// breaker, "Failure threshold") (B26).
func cbThreshold(desired int) int {
	n := int(math.Ceil(0.5 * float64(desired)))
	return min(max(n, 3), 200)
}

// cleanUp ends a deployment: blue stops, green becomes production and the
// groups swap roles (B7: "The blue service revision has completely scaled
// down to 0 running tasks."; B3).
func (tw *Twin) cleanUp(d *deployment, now time.Time) {
	svc := d.svc
	for _, t := range tw.ecs.tasks {
		if t.service == svc.arn && t.revision != d.target.id {
			tw.ecs.stopTask(tw, t, "Scaled down by deployment "+d.id, now)
		}
	}
	svc.prodTG = d.greenTG
	svc.current = d.target
	d.status, d.finishedAt = "SUCCESSFUL", now
	d.statusReason = ""
	if d.alarmStatus == "MONITORING" {
		d.alarmStatus = "MONITORING_COMPLETE"
	}
}

// failDeployment fails an in-progress deployment, with rollback (B22) or
// without (B10: STOP_REQUESTED then STOPPED).
func (tw *Twin) failDeployment(d *deployment, now time.Time, reason string, rollback bool) {
	d.hooks = nil
	d.gen++
	if !rollback {
		d.status, d.statusReason = "STOP_REQUESTED", reason
		tw.stopGreen(d, now)
		tw.restoreBlue(d)
		return
	}
	d.status, d.statusReason = "ROLLBACK_IN_PROGRESS", reason
	d.rollbackReason, d.rollbackAt = reason, now
	d.rbPhase = 0
}

// stopDeployment is StopServiceDeployment (B27).
func (tw *Twin) stopDeployment(d *deployment, stopType string, now time.Time) *apiError {
	if stopType == "" {
		stopType = "ROLLBACK"
	}
	if stopType != "ROLLBACK" {
		// The model's ABORT is not documented (B27, unconfirmed): refused.
		return errorf(http.StatusBadRequest, "InvalidParameterException", "stopType %s is not supported", stopType)
	}
	switch d.status {
	case "PENDING", "IN_PROGRESS":
		// "IN_PROGRESS - The service deployment moves to the
		// ROLLBACK_REQUESTED state, and then the rollback operation starts."
		tw.failDeployment(d, now, "Service deployment rolled back because of a stop request.", true)
		d.status, d.requested = "ROLLBACK_REQUESTED", true
	case "STOP_REQUESTED", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS":
	default:
		return errorf(http.StatusBadRequest, "InvalidParameterException", "The service deployment %s is in a terminal state (%s) and cannot be stopped.", d.arn, d.status)
	}
	return nil
}

// advanceRollback is ECS's own rollback (B22): the test rule, then the
// production rule back to blue, re-invoking the TEST_TRAFFIC_SHIFT and
// PRODUCTION_TRAFFIC_SHIFT hooks with weights that show traffic moving
// back (B19), then green stops. No new revision; the roles do not swap.
func (tw *Twin) advanceRollback(d *deployment, now time.Time) {
	// Phases 0 and 1 move the test rule back and wait for its hooks;
	// phases 2 and 3 do the same for the production rule.
	rules := [2]struct {
		shifted bool
		rule    string
		stage   string
	}{{d.testShifted, d.testRule, "TEST_TRAFFIC_SHIFT"}, {d.prodShifted, d.prodRule, "PRODUCTION_TRAFFIC_SHIFT"}}
	for {
		switch d.rbPhase {
		case 0, 2:
			r := rules[d.rbPhase/2]
			d.rbPhase += 2
			if r.shifted && r.rule != "" {
				tw.elb.setWeights(tw, r.rule, [][2]any{{d.blueTG, 100}, {d.greenTG, 0}})
				d.weight = 0
				d.hooks = tw.hooksAt(d, r.stage, now)
				d.rbPhase-- // wait for the hooks
			}
		case 1, 3:
			done, failed, reason := tw.runHooks(d, stageEntry{name: rules[d.rbPhase/2].stage}, now, true)
			if failed && tw.opts.Switches.HookFailedFailsRollback {
				tw.endRollback(d, now, "ROLLBACK_FAILED", reason)
				return
			}
			if !done && !failed {
				return
			}
			d.rbPhase++
		case 4:
			tw.stopGreen(d, now)
			if d.source == nil {
				// B24: "The rollback method requires a previous deployment in
				// COMPLETED state." A first deployment has none (outcome
				// unconfirmed; the twin ends ROLLBACK_FAILED).
				tw.endRollback(d, now, "ROLLBACK_FAILED", d.statusReason+" There is no completed deployment to roll back to.")
				return
			}
			d.svc.taskDef = d.source.taskDef
			tw.endRollback(d, now, "ROLLBACK_SUCCESSFUL", d.statusReason)
			return
		}
	}
}

func (tw *Twin) endRollback(d *deployment, now time.Time, status, reason string) {
	d.status, d.statusReason, d.finishedAt = status, reason, now
	d.hooks = nil
	d.gen++
}

// hooksAt are the runs of the hooks attached to stage.
func (tw *Twin) hooksAt(d *deployment, stage string, now time.Time) []*hookRun {
	var runs []*hookRun
	for _, h := range asList(d.target.config["lifecycleHooks"]) {
		m := asMap(h)
		for _, s := range asList(m["lifecycleStages"]) {
			if str(s) == stage {
				runs = append(runs, &hookRun{hook: m, status: "PENDING", nextAt: now, startedAt: now, executionID: uuidLike(tw), hookID: tw.nextID(16)})
			}
		}
	}
	return runs
}

// runHooks starts due invocations and reports whether every hook at the
// stage succeeded, or one failed (B18: "If any hook triggers a rollback,
// the entire deployment rolls back").
func (tw *Twin) runHooks(d *deployment, s stageEntry, now time.Time, rollingBack bool) (done, failed bool, reason string) {
	done = true
	for _, h := range d.hooks {
		switch h.status {
		case "SUCCEEDED":
			continue
		case "FAILED", "TIMED_OUT":
			return false, true, "Lifecycle hook " + str(h.hook["hookTargetArn"]) + " failed at " + s.name + "."
		}
		done = false
		// B17: "If the Lambda function does not return SUCCEEDED or FAILED
		// before the timeout expires, Amazon ECS takes the configured timeout
		// action." Default 1,440 minutes and ROLLBACK.
		tc := asMap(h.hook["timeoutConfiguration"])
		if limit := time.Duration(intOf(tc["timeoutInMinutes"], 1440)) * time.Minute; now.Sub(h.startedAt) > limit {
			if str(tc["action"]) == "CONTINUE" {
				h.status = "SUCCEEDED"
				continue
			}
			h.status = "TIMED_OUT"
			return false, true, "Lifecycle hook " + str(h.hook["hookTargetArn"]) + " timed out at " + s.name + "."
		}
		if !h.inflight && !now.Before(h.nextAt) {
			tw.invoke(d, h, s, rollingBack, now)
		}
	}
	return done, false, ""
}

// payload is the event ECS sends a Lambda hook (B15: top-level
// executionId, lifecycleStage, resourceArn and executionDetails, with the
// weights keyed by service revision ARN; ECS developer guide, "Lambda hooks
// for Amazon ECS service deployments").
func (tw *Twin) payload(d *deployment, h *hookRun, s stageEntry, rollingBack bool) map[string]any {
	test, prod := map[string]any{}, map[string]any{}
	blue := ""
	if d.source != nil {
		blue = d.source.arn
	}
	share := func(m map[string]any, green float64) {
		m[d.target.arn] = green
		if blue != "" {
			m[blue] = 100 - green
		}
	}
	switch s.name {
	case "TEST_TRAFFIC_SHIFT":
		if rollingBack {
			share(test, 0)
		} else {
			share(test, 100)
		}
	case "PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT":
		switch {
		case rollingBack:
			// B19: "During a rollback, the productionTrafficWeights in the
			// payload show traffic shifting back to the blue revision."
			share(prod, 0)
		case s.step > 0:
			share(prod, d.steps[s.step-1])
		}
	}
	event := map[string]any{
		"executionId":    h.executionID,
		"lifecycleStage": s.name,
		"resourceArn":    d.arn,
		"executionDetails": map[string]any{
			"serviceArn":               d.svc.arn,
			"targetServiceRevisionArn": d.target.arn,
			"testTrafficWeights":       test,
			"productionTrafficWeights": prod,
		},
	}
	details := map[string]any{}
	for k, v := range asMap(h.hook["hookDetails"]) {
		details[k] = v
	}
	for k, v := range h.details {
		details[k] = v
	}
	if len(details) > 0 {
		event["hookDetails"] = details
	}
	return event
}

// invoke calls the hook's function outside the lock and applies its
// answer (B16).
func (tw *Twin) invoke(d *deployment, h *hookRun, s stageEntry, rollingBack bool, now time.Time) {
	h.inflight = true
	if tw.opts.Switches.NewExecutionIDPerInvocation && h.status == "IN_PROGRESS" {
		h.executionID = uuidLike(tw)
	}
	h.status = "IN_PROGRESS"
	event := tw.payload(d, h, s, rollingBack)
	arn := str(h.hook["hookTargetArn"])
	fn := tw.lambda.get(arn)
	gen := d.gen
	go func() {
		var answer string
		var err error
		if fn == nil {
			// B36: a kept hook whose function was deleted fails to invoke.
			err = fmt.Errorf("ResourceNotFoundException: Function not found: %s", arn)
		} else {
			answer, err = fn.invoke(tw, event)
		}
		tw.mu.Lock()
		defer tw.mu.Unlock()
		at := tw.Clock.Now()
		record := answer
		if err != nil {
			record = "error: " + err.Error()
		}
		tw.invocations = append(tw.invocations, Invocation{Function: arn, Stage: s.name, Payload: event, Response: record, At: at})
		if d.gen != gen {
			return // the stage moved on meanwhile
		}
		h.inflight = false
		if err != nil {
			h.status = "FAILED"
			return
		}
		var out map[string]any
		if json.Unmarshal([]byte(answer), &out) != nil {
			h.status = "FAILED" // "If your function doesn't return a valid hookStatus ... rolls back"
			return
		}
		switch str(out["hookStatus"]) {
		case "SUCCEEDED":
			h.status = "SUCCEEDED"
		case "FAILED":
			h.status = "FAILED"
		case "IN_PROGRESS":
			// "IN_PROGRESS - Amazon ECS invokes the function again after a
			// delay. By default, the delay is 30 seconds." Bounds are not
			// documented (B16): the twin takes 1-900.
			delay := intOf(out["callBackDelay"], 30)
			delay = min(max(delay, 1), 900)
			h.nextAt = at.Add(time.Duration(delay) * time.Second)
			// "Amazon ECS merges this data and passes it back on the next
			// invocation."
			if extra := asMap(out["hookDetails"]); extra != nil {
				if h.details == nil {
					h.details = map[string]any{}
				}
				for k, v := range extra {
					h.details[k] = v
				}
			}
		default:
			h.status = "FAILED"
		}
	}()
}

// brief is a ServiceDeploymentBrief (B11).
func (d *deployment) brief() map[string]any {
	out := map[string]any{"serviceDeploymentArn": d.arn, "serviceArn": d.svc.arn,
		"clusterArn": fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", Region, Account, d.svc.cluster),
		"createdAt":  epoch(d.createdAt), "targetServiceRevisionArn": d.target.arn, "status": d.status}
	if !d.startedAt.IsZero() {
		out["startedAt"] = epoch(d.startedAt)
	}
	if !d.finishedAt.IsZero() {
		out["finishedAt"] = epoch(d.finishedAt)
	}
	if d.statusReason != "" {
		out["statusReason"] = d.statusReason
	}
	return out
}

// describe is a ServiceDeployment (B11).
func (d *deployment) describe(tw *Twin) map[string]any {
	out := d.brief()
	counts := func(rev *revision, weight float64) map[string]any {
		running, pending, requested := 0, 0, 0
		for _, t := range tw.ecs.tasks {
			if t.service == d.svc.arn && t.revision == rev.id && t.desiredStatus == "RUNNING" {
				requested++
				if t.lastStatus == "RUNNING" {
					running++
				} else {
					pending++
				}
			}
		}
		return map[string]any{"arn": rev.arn, "requestedTaskCount": requested, "runningTaskCount": running,
			"pendingTaskCount": pending, "requestedProductionTrafficWeight": weight}
	}
	out["targetServiceRevision"] = counts(d.target, d.weight)
	if d.source != nil {
		out["sourceServiceRevisions"] = []any{counts(d.source, 100-d.weight)}
	} else {
		out["sourceServiceRevisions"] = []any{}
	}
	if d.progressive && !d.terminal() {
		out["lifecycleStage"] = d.stage
	}
	if d.rollbackReason != "" {
		rb := map[string]any{"reason": d.rollbackReason, "startedAt": epoch(d.rollbackAt)}
		if d.source != nil {
			rb["serviceRevisionArn"] = d.source.arn
		}
		out["rollback"] = rb
	}
	names := d.alarmNames()
	triggered := make([]any, 0, len(d.triggered))
	for _, n := range d.triggered {
		triggered = append(triggered, n)
	}
	alarmNames := make([]any, 0, len(names))
	for _, n := range names {
		alarmNames = append(alarmNames, n)
	}
	status := d.alarmStatus
	if status == "" {
		status = "DISABLED"
	}
	out["alarms"] = map[string]any{"status": status, "alarmNames": alarmNames, "triggeredAlarmNames": triggered}
	cb := asMap(d.target.config["deploymentCircuitBreaker"])
	cbStatus := "DISABLED"
	if boolOf(cb["enable"]) {
		cbStatus = "MONITORING"
	}
	out["deploymentCircuitBreaker"] = map[string]any{"status": cbStatus, "failureCount": d.cbFailures, "threshold": cbThreshold(d.svc.desired)}
	out["deploymentConfiguration"] = d.target.config
	var hooks []any
	for _, h := range d.hooks {
		hooks = append(hooks, map[string]any{"hookId": h.hookID, "targetType": "AWS_LAMBDA", "targetArn": str(h.hook["hookTargetArn"]), "status": h.status})
	}
	if hooks != nil {
		out["lifecycleHookDetails"] = hooks
	}
	return out
}

// Deployments returns the deployments of the service named name, oldest
// first, as (ARN, status) pairs, for tests of the twin.
func (tw *Twin) Deployments(name string) [][2]string {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	var out [][2]string
	for _, svc := range tw.ecs.services {
		if svc.name == name {
			for _, d := range svc.deployments {
				out = append(out, [2]string{d.arn, d.status})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return false })
	return out
}
