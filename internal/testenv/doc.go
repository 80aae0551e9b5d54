// Package testenv is the one place where cfnfargate's tests start real tools:
// moto_server (an AWS API emulator), cfn-lint and the aws CLI.
//
// Tests ask for a tool with [Require], which skips the test when the tool is
// missing on a developer machine and fails it when CI=true, so CI can never
// pass by silently skipping. [Lint] runs cfn-lint over rendered templates.
// [CopilotCases] reads the corpus of Copilot manifests in testdata/copilot.
// [SharedMoto] runs one moto_server on a free 127.0.0.1 port for all the
// tests of a test binary, stopped by [RunTests] from the package's TestMain;
// [StartMoto] runs a private one for a test that needs a clean account.
// [Moto.Seed] fills a server with the network and certificate a deploy
// needs. [Moto.Query] and [Moto.JSON] are a tiny unsigned AWS client over
// net/http, so the tests need no AWS SDK to set up or inspect moto.
//
// Every helper that starts a tool skips its test under -short ([SkipIfShort]),
// so that go test -short stays quick; make test runs everything.
//
// Nothing here runs at package init: a test that never calls these helpers
// starts nothing.
package testenv
