// ali-ons ships no types; bench/rocketmq.ts describes the little it uses (AliOns interface).
declare module 'ali-ons'
