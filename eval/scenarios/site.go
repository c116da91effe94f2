package main

// The small PHP site of the eval root (written for this project). It is what an ordinary
// company site looks like: a front page, a contact form that mails, an include with helper
// functions and a database configuration, some CSS and JavaScript. Nothing in it may look like a
// web shell: it is the benign background the web-shell rules must stay quiet on.

var siteFiles = map[string]string{
	"/var/www/html/index.php": `<?php
require __DIR__ . '/inc/functions.php';
$page = page_title('Home');
?><!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title><?= h($page) ?> - Example Bakery</title>
  <link rel="stylesheet" href="/assets/style.css">
</head>
<body>
  <header><h1>Example Bakery</h1><nav><a href="/">Home</a> <a href="/about.html">About</a> <a href="/contact.php">Contact</a></nav></header>
  <main>
    <p>Fresh bread every morning from 7 o'clock. Today's special:
      <strong><?= h(todays_special(date('N'))) ?></strong></p>
    <ul id="hours"></ul>
  </main>
  <script src="/assets/app.js"></script>
</body>
</html>
`,
	"/var/www/html/contact.php": `<?php
require __DIR__ . '/inc/functions.php';
$sent = false;
$errors = [];
if ($_SERVER['REQUEST_METHOD'] === 'POST') {
    $name = trim($_POST['name'] ?? '');
    $email = trim($_POST['email'] ?? '');
    $message = trim($_POST['message'] ?? '');
    if ($name === '') {
        $errors[] = 'Please tell us your name.';
    }
    if (!filter_var($email, FILTER_VALIDATE_EMAIL)) {
        $errors[] = 'Please give a valid e-mail address.';
    }
    if (strlen($message) < 10) {
        $errors[] = 'Your message is a bit short.';
    }
    if (!$errors) {
        $body = "From: $name <$email>\n\n" . $message;
        $sent = mail(SHOP_EMAIL, 'Contact form', $body, ['Reply-To' => $email]);
    }
}
?><!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Contact - Example Bakery</title><link rel="stylesheet" href="/assets/style.css"></head>
<body>
<h1>Contact us</h1>
<?php if ($sent): ?>
  <p class="ok">Thank you, we will answer soon.</p>
<?php else: ?>
  <?php foreach ($errors as $e): ?><p class="error"><?= h($e) ?></p><?php endforeach; ?>
  <form method="post">
    <label>Name <input name="name" value="<?= h($_POST['name'] ?? '') ?>"></label>
    <label>E-mail <input name="email" type="email"></label>
    <label>Message <textarea name="message"></textarea></label>
    <button>Send</button>
  </form>
<?php endif; ?>
</body>
</html>
`,
	"/var/www/html/inc/functions.php": `<?php
require_once __DIR__ . '/config.php';

function h(string $s): string
{
    return htmlspecialchars($s, ENT_QUOTES | ENT_HTML5, 'UTF-8');
}

function page_title(string $name): string
{
    return ucfirst($name);
}

function todays_special(string $weekday): string
{
    $specials = [
        '1' => 'Rye sourdough',
        '2' => 'Cinnamon rolls',
        '3' => 'Spelt loaf',
        '4' => 'Pretzels',
        '5' => 'Challah',
        '6' => 'Croissants',
        '7' => 'Closed',
    ];
    return $specials[$weekday] ?? 'Ask us';
}

function db(): PDO
{
    static $pdo = null;
    if ($pdo === null) {
        $pdo = new PDO(DB_DSN, DB_USER, DB_PASSWORD, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
    }
    return $pdo;
}
`,
	"/var/www/html/inc/config.php": `<?php
// Site settings. The database password comes from the environment (set in the php-fpm pool).
const SHOP_EMAIL = 'shop@example.org';
define('DB_DSN', 'mysql:host=127.0.0.1;dbname=bakery;charset=utf8mb4');
define('DB_USER', 'bakery');
define('DB_PASSWORD', getenv('BAKERY_DB_PASSWORD') ?: '');
`,
	"/var/www/html/about.html": `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>About - Example Bakery</title><link rel="stylesheet" href="/assets/style.css"></head>
<body>
<h1>About us</h1>
<p>A family bakery since 1952. We bake with flour from the mill down the road.</p>
</body>
</html>
`,
	"/var/www/html/assets/style.css": `body { font-family: sans-serif; max-width: 42rem; margin: 2rem auto; color: #222; }
header nav a { margin-right: 1rem; }
.error { color: #a00; }
.ok { color: #070; }
label { display: block; margin: .5rem 0; }
`,
	"/var/www/html/assets/app.js": `// Opening hours, shown on the front page.
(function () {
  var hours = [
    ['Mon-Fri', '7:00-18:00'],
    ['Sat', '7:00-13:00'],
    ['Sun', 'closed']
  ];
  var list = document.getElementById('hours');
  if (!list) {
    return;
  }
  hours.forEach(function (h) {
    var li = document.createElement('li');
    li.textContent = h[0] + ': ' + h[1];
    list.appendChild(li);
  });
})();
`,
}

// nginxSite is the admin's edit of /etc/nginx/sites-available/default: PHP through php-fpm.
const nginxSite = `# Example Bakery (edited by alice: PHP through php-fpm)
server {
	listen 80 default_server;
	listen [::]:80 default_server;

	root /var/www/html;
	index index.php index.html;

	server_name www.example.org example.org;

	location / {
		try_files $uri $uri/ =404;
	}

	location ~ \.php$ {
		include snippets/fastcgi-php.conf;
		fastcgi_pass unix:/run/php/php8.2-fpm.sock;
	}

	location ~ /\.ht {
		deny all;
	}
}
`
