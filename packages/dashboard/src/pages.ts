// The two server-rendered pages. The dashboard itself is static (static/index.html) and fills in from the API.

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

export function loginPage(opts: { error?: string; passwordLogin: boolean }): string {
  const form = opts.passwordLogin
    ? `<form method="post" action="login" class="login">
        <label for="password">Operator password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" autofocus required>
        <button type="submit">Sign in</button>
      </form>`
    : `<p>Password sign-in is off (no <code>ADMIN_PASSWORD</code>). Use <code>Authorization: Bearer</code> with
       <code>ADMIN_TOKEN</code>.</p>`
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Sundial · operator sign-in</title>
  <link rel="stylesheet" href="static/style.css">
</head>
<body class="login-page">
  <main class="login-box">
    <h1><span class="logo">☀</span> Sundial</h1>
    <p class="muted">Operator dashboard</p>
    ${opts.error ? `<p class="error" role="alert">${escapeHtml(opts.error)}</p>` : ''}
    ${form}
  </main>
</body>
</html>`
}

export function disabledPage(): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sundial · dashboard disabled</title><link rel="stylesheet" href="static/style.css"></head>
<body class="login-page"><main class="login-box"><h1>Dashboard disabled</h1>
<p>Set <code>ADMIN_PASSWORD</code> (or <code>ADMIN_TOKEN</code>) for the appview to turn on the operator dashboard.</p>
</main></body></html>`
}
