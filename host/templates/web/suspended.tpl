#=========================================================================#
# hearth template for a suspended web domain (nginx)                      #
#                                                                         #
# v-suspend-web-domain renders this instead of the domain's own template  #
# into %home%/%user%/conf/web/%domain%/nginx.conf; v-unsuspend-web-domain #
# renders the domain's template again. Same placeholders as default.tpl.  #
#=========================================================================#

server {
    listen      %ip%:%web_port%;
    server_name %domain_idn% %alias_idn%;
    access_log  %home%/%user%/web/%domain%/logs/%domain%.log combined;
    error_log   %home%/%user%/web/%domain%/logs/%domain%.error.log error;

    location / {
        default_type text/plain;
        return 403 "This site is currently suspended.\n";
    }
}
