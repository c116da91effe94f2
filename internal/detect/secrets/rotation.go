package secrets

import "strings"

// setRotation says how an item is rotated: on the host by nowwhat, or by the operator with
// exact steps.
func setRotation(it *Item) {
	it.Method = MethodGuided
	switch it.Kind {
	case KindPassword:
		it.Method = MethodPassword
		it.How = "a new random password (given to you encrypted), or expiry with a forced change at the next login (--passwords expire)"
	case KindAuthorized:
		it.Method = MethodPrune
		it.How = "removed unless the baseline knew it or you keep it (--keep FINGERPRINT); its owner makes a new key on their own machine"
	case KindHostKey:
		it.Method = MethodHostKey
		it.How = "new host keys made by nowwhat; users update known_hosts with the new fingerprints printed"
	case KindSSHPrivate:
		it.How = "delete it from the host; the owner makes a new key on their own machine and removes the old public key (" + it.PublicKey + ") from every server, forge and deploy-key list that trusts it"
	case KindTLS:
		it.How = "new key and certificate, then revoke the old certificate: certbot revoke --cert-path CERT --reason keycompromise && certbot certonly --force-renewal --cert-name NAME (a commercial CA: reissue and revoke in its panel)"
		if strings.Contains(it.Path, "snakeoil") {
			it.How = "make-ssl-cert generate-default-snakeoil --force-overwrite"
		}
	case KindACME:
		it.How = "certbot unregister (deactivates the leaked account key), then certbot register and renew with the new account"
	case KindDB:
		if it.DB != nil && it.DB.Local() && (it.DB.Engine == "mysql" || it.DB.Engine == "postgresql") && it.DB.User != "" {
			it.Method = MethodDB
			it.How = "a new password set over the database's local socket (" + it.DB.Engine + " user " + it.DB.User + "), this file and every file holding the same password updated in the same step"
		} else {
			it.How = "set a new password for the database account (ALTER USER ... IDENTIFIED BY / ALTER ROLE ... PASSWORD) on the database server, then put it in this file"
		}
		if it.App == "mysql" && strings.HasSuffix(it.Path, "debian.cnf") {
			it.How = "ALTER USER 'debian-sys-maint'@'localhost' IDENTIFIED BY 'NEW' and the same password in /etc/mysql/debian.cnf (or switch the account to unix_socket authentication)"
		}
	case KindRedis:
		it.How = "redis-cli CONFIG SET requirepass NEW && CONFIG REWRITE (ACL SETUSER for ACL users), then the new password in every client's configuration"
	case KindAppSecret:
		switch {
		case strings.HasPrefix(it.Name, "WordPress"), it.Name == "APP_KEY" && it.App == "laravel", it.Name == "SECRET_KEY",
			strings.EqualFold(it.Name, "APP_PREVIOUS_KEYS"), strings.EqualFold(it.Name, "SECRET_KEY_FALLBACKS"),
			strings.Contains(strings.ToLower(it.Name), "jwt") && it.Line > 0, it.Name == "blowfish_secret", it.Name == "APP_SECRET",
			it.Name == "SECRET_KEY_BASE":
			it.Method = MethodAppSecret
			it.How = "regenerated in place, atomically (" + reloadOf(it) + "); every session and token signed with the old one stops working"
		case it.App == "rails":
			it.How = "rails credentials: EDITOR=true bin/rails credentials:edit after moving the old master.key aside is not enough: decrypt with the old key, re-encrypt with a new one (bin/rails credentials:edit regenerates both), and rotate every secret inside"
		default:
			it.How = "a new random value in this file, then restart the application"
		}
	case KindCloud:
		it.How = cloudHow(it)
	case KindToken:
		it.How = tokenHow(it)
	case KindBackup:
		it.How = "change the repository passphrase (restic key add + key remove OLD; borg key change-passphrase; rclone config with a new password), then keep the new one off this host"
	case KindMail:
		it.How = "a new password in the relay provider's panel, then here: postmap /etc/postfix/sasl_passwd && systemctl reload postfix"
	case KindDKIM:
		it.How = "a new DKIM key under a new selector (opendkim-genkey -s NEWSELECTOR), publish its TXT record, switch the signer, then remove the old selector's record"
	case KindVPN:
		it.How = "WireGuard: wg genkey on each peer and update every peer's PublicKey; OpenVPN: reissue the key and certificate, revoke the old one (easyrsa revoke + gen-crl) and a new tls-auth/tls-crypt key (openvpn --genkey secret)"
	case KindKeytab:
		it.How = "new keys at the KDC (kadmin: ktadd -randkey PRINCIPAL, or ktremove then ktadd), which also invalidates the leaked ones"
	case KindSystemd:
		it.How = "rotate the credential at its issuer, then put the new value here (systemd-creds encrypt keeps it off plain text) and systemctl daemon-reload && systemctl restart the unit"
	case KindCron:
		it.How = "rotate the credential it belongs to, then take it off the command line (a password file 0600, or the program's own config)"
	case KindHistory:
		it.How = "rotate the credential it belongs to (the history shows it was typed on this host), then remove the line from the history"
	default:
		it.How = "rotate it at its issuer, then remove or replace it here"
	}
}

func reloadOf(it *Item) string {
	switch it.App {
	case "wordpress":
		return "no reload needed: PHP reads it on the next request; every logged-in user is logged out"
	case "laravel":
		return "then: php artisan config:clear && php artisan queue:restart, and reload php-fpm"
	case "django":
		return "then restart the application server (systemctl restart gunicorn or uwsgi)"
	case "phpmyadmin":
		return "no reload needed"
	case "rails":
		return "then restart the application server (systemctl restart puma)"
	}
	return "then restart the application"
}

func cloudHow(it *Item) string {
	switch it.App {
	case "aws":
		return "aws iam create-access-key --user-name USER; deploy it; aws iam update-access-key --access-key-id OLD --status Inactive; aws iam delete-access-key --access-key-id OLD; for roles, revoke older sessions (IAM console: Roles > ROLE > Revoke sessions, the AWSRevokeOlderSessions policy)"
	case "gcloud":
		return "gcloud iam service-accounts keys create NEW.json --iam-account SA; deploy it; gcloud iam service-accounts keys delete OLDKEYID --iam-account SA; user logins: gcloud auth revoke --all, then log in again from your own machine"
	case "azure":
		return "az ad sp credential reset --id APPID (service principals), az account clear here, and revoke the user's refresh tokens: az rest --method POST --url https://graph.microsoft.com/v1.0/users/USER/revokeSignInSessions"
	}
	return "create a new key at the provider, deploy it, deactivate and delete the old one, and end the sessions it opened"
}

func tokenHow(it *Item) string {
	switch it.App {
	case "kubernetes":
		return "Kubernetes credentials cannot be revoked one by one: for a client certificate, remove the user's RBAC bindings (or rotate the cluster CA); for a service account token, delete its Secret or the service account; for a static token, remove it from the API server's token file"
	case "docker":
		return "revoke the token in the registry's settings (Docker Hub: Account Settings > Security), docker logout here, docker login from a trusted session"
	case "git":
		return "revoke the token at the forge (GitHub: Settings > Developer settings > tokens; GitLab: Access Tokens), make a new one with the least scope"
	case "npm":
		return "npm token revoke ID (npm token list shows it), then npm login from a trusted session"
	case "composer":
		return "revoke the token at its issuer (GitHub, GitLab, Packagist), then composer config --global --auth with the new one"
	case "vault":
		return "vault token revoke -accessor ACCESSOR (or vault token revoke -self from this token), then log in again"
	case "netrc":
		return "change the password at the machine named, then update or remove the line"
	case "github-cli":
		return "gh auth logout here and revoke the OAuth app grant at github.com/settings/applications"
	}
	return "revoke the token at its issuer, make a new one, and deploy it"
}
