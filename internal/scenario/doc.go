// Package scenario is cfnfargate's scenario suite: each scenario drives the
// real cfnfargate binary through a deployment story that the real-AWS
// review found broken (shared/research/real-aws-review-2.md, F3-F11 and the
// rule priorities), and checks the outcome through the AWS APIs — which
// group the production rule sends traffic to and whether it holds healthy
// tasks, the service's deployments and settings, the stack's status, the
// pause gate's parameter — never through the tool's own output alone.
//
// Every scenario is written once, against a Backend, and runs on two:
//
//   - the behavioural twin (internal/twin) in front of moto_server, in
//     `make test` (TestScenariosOnTwin);
//   - a real AWS account, in `make test-aws` (TestScenariosOnAWS), which
//     needs CFNFARGATE_TEST_AWS=1 and credentials, prints the account, the
//     Region and a cost estimate first, tags everything it creates and
//     deletes it all at the end, also when a step fails or on Ctrl-C.
//
// Faults are injected the way they can be on AWS too: breaching data put
// on the custom metric of a scenario's own alarm (PutMetricData) trips a
// rollback alarm, an interrupted deploy cancels its update
// (CancelUpdateStack), `--on-pause rollback` rejects a deployment at the
// gate. Where only the twin can do something, the scenario says so: moto
// does not evaluate alarms, so on the twin the scenario also sets the state
// the data gives (SetAlarmState, which on AWS would not hold: "Metric
// alarms return to their actual state quickly, often within seconds",
// CloudWatch API reference); and the twin can hold a step of
// CloudFormation in progress (twin.Hold) where a scenario must act during
// it.
package scenario
