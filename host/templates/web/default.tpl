#=========================================================================#
# hearth default web domain template (nginx)                              #
#                                                                         #
# Rendered by v-add-web-domain (and every command that changes the        #
# domain) into %home%/%user%/conf/web/%domain%/nginx.conf, which the main #
# nginx.conf includes inside its http {} block. Edit this file in         #
# <data>/data/templates/web/ to change every domain rendered after that.  #
#                                                                         #
# Placeholders (HestiaCP's): %ip% %web_port% %web_ssl_port% %domain%      #
# %domain_idn% %alias% %alias_idn% %email% %user% %group% %home%          #
# %docroot% %sdocroot% %proxy_extensions% %ssl_crt% %ssl_key% %ssl_pem%   #
# %ssl_ca% %web_system% %proxy_system% %proxy_port% %proxy_ssl_port%      #
#=========================================================================#

# The domain's cache: %home%/%user%/cache/nginx/%domain%/, zone %domain_idn%.
# v-purge-nginx-cache empties this directory. Proxy locations (for example in
# a custom %home%/%user%/conf/web/%domain%/nginx.conf_proxy snippet) use it
# with `proxy_cache %domain_idn%;`.
proxy_cache_path %home%/%user%/cache/nginx/%domain% levels=1:2 keys_zone=%domain_idn%:10m inactive=60m max_size=1024m;

server {
    listen      %ip%:%web_port%;
    server_name %domain_idn% %alias_idn%;
    root        %docroot%;
    index       index.html index.htm;
    access_log  %home%/%user%/web/%domain%/logs/%domain%.log combined;
    error_log   %home%/%user%/web/%domain%/logs/%domain%.error.log error;

    location ~ /\.(?!well-known\/) {
        deny all;
        return 404;
    }

    location / {
        try_files $uri $uri/ =404;

        location ~* ^.+\.(ogg|ogv|svg|svgz|eot|otf|woff|woff2|mov|mp3|mp4|webm|flv|ttf|rss|atom|jpg|jpeg|gif|png|webp|ico|bmp|mid|midi|wav|rtf|css|js|jar)$ {
            expires 30d;
        }
    }

    error_page 403 /error/403.html;
    error_page 404 /error/404.html;
    error_page 500 502 503 504 /error/50x.html;

    location /error/ {
        alias %home%/%user%/web/%domain%/document_errors/;
    }

    location /vstats/ {
        alias %home%/%user%/web/%domain%/stats/;
    }

    include %home%/%user%/conf/web/%domain%/nginx.conf_*;
}
