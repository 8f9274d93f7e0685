//go:build !unix

package main

import "os/exec"

// setProcessGroup does nothing here: the tool needs Linux's /proc anyway.
func setProcessGroup(*exec.Cmd) {}

// killProcessGroup kills the process cmd started.
func killProcessGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
