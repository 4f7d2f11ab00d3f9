FROM node:20
RUN yarn install
RUN yarn install && yarn cache clean
