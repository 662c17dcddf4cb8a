//go:build !linux

package main

// hardenProcess has no portable equivalent outside Linux.
func hardenProcess() {}
