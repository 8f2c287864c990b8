#!/usr/bin/env bash
# Far-end (en-us male) and near-end (Norwegian, female variant) talkers, 48 kHz mono f32le.
set -e
cd "$(dirname "$0")"; mkdir -p sig; cd sig
espeak-ng -v en-us -s 160 -w far_raw.wav "Good morning everyone, thanks for joining the weekly planning meeting. Today we will go through the release schedule, the open bugs in the audio pipeline, and the plan for the next sprint. First, the release candidate is ready for testing on all three platforms. Please install it before Thursday and report anything that sounds wrong. Second, we still see occasional dropouts when the network is congested, so the team will look at the jitter buffer settings. Finally, remember that the office will be closed on Friday afternoon."
espeak-ng -v nb+f3 -s 150 -p 60 -w near_raw.wav "Hei, dette er Kari fra Bergen. Jeg har testet den nye versjonen hele uken, og lyden er mye bedre enn før. Men når jeg bruker høyttaleren på den bærbare maskinen, hører de andre et svakt ekko av sin egen stemme. Kan vi se på det før lanseringen? Ellers fungerer skjermdelingen veldig fint, og kameraet starter raskt. Jeg skal sende en rapport med detaljer i ettermiddag, sammen med noen lydopptak fra møterommet."
for f in far near; do ffmpeg -loglevel error -y -i ${f}_raw.wav -ar 48000 -ac 1 -f f32le ${f}_48k.f32; done
