FROM ruby:3
RUN gem install bundler
RUN gem install bundler:2.4.0
RUN gem install bundler -v 2.4.0
RUN gem install bundler --version 2.4.0
RUN gem install bundler --version=2.4.0
