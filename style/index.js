import './base.css';
import './cloud.css';
