// Package ui holds the browser tests of the admin dashboard
// (/__admin/ui): Debian's chromium, headless, driven by
// github.com/chromedp/chromedp, against an in-process server; and the check
// that the vendored lightweight-charts is the npm package it claims to be.
// They live in the compat module so the main module's graph keeps no
// browser-driving dependency.
package ui
