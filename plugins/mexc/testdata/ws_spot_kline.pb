
(spot@public.kline.v3.api.pb@BTCUSDT@Min1BTCUSDT" 2fb942154ef44a4ab2ef98c8afb6a4a7(Æ´ ôˆ3¢Q
Min1€ÚÜÄ	117317.31"	117325.26*1173412117317.3:
3.12599854B	366804.43H¼ÚÜÄ